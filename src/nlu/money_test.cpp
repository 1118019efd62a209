#include "nlu/money.hpp"

#include <gtest/gtest.h>

#include "nlu/test_support.hpp"

namespace kefu::nlu {
namespace {

using testing::Describe;
using testing::Extract;
using testing::ExtractWith;
using testing::OfType;

struct MoneyCase {
    const char* input;
    const char* text;  // the original span
    const char* amount;
    const char* currency;
    bool inferred = false;
};

constexpr MoneyCase kMoneyCases[] = {
    // The examples.
    {"转账1,000.50", "1,000.50", "1000.50", "CNY", true},
    {"¥500", "¥500", "500.00", "CNY"},
    {"500元", "500元", "500.00", "CNY"},
    {"RMB 2k", "RMB 2k", "2000.00", "CNY"},
    {"一千五百元", "一千五百元", "1500.00", "CNY"},
    {"转一万二给我妈", "一万二", "12000.00", "CNY", true},
    {"壹万伍仟元整", "壹万伍仟元整", "15000.00", "CNY"},
    {"$30", "$30", "30.00", "USD"},
    {"30 dollars", "30 dollars", "30.00", "USD"},
    // Traditional and full-width input.
    {"壹萬伍仟元", "壹萬伍仟元", "15000.00", "CNY"},
    {"轉賬兩千塊錢", "兩千塊錢", "2000.00", "CNY"},
    {"￥500", "￥500", "500.00", "CNY"},
    {"ＲＭＢ１２３", "ＲＭＢ１２３", "123.00", "CNY"},
    {"５００元", "５００元", "500.00", "CNY"},
    // Chinese numerals, 角, 分, 整.
    {"三块五", "三块五", "3.50", "CNY"},
    {"两块钱", "两块钱", "2.00", "CNY"},
    {"十块钱", "十块钱", "10.00", "CNY"},
    {"五百块", "五百块", "500.00", "CNY"},
    {"两百元", "两百元", "200.00", "CNY"},
    {"三百五十元", "三百五十元", "350.00", "CNY"},
    {"两万三千元", "两万三千元", "23000.00", "CNY"},
    {"一万零五百元", "一万零五百元", "10500.00", "CNY"},
    {"十万元", "十万元", "100000.00", "CNY"},
    {"一亿元", "一亿元", "100000000.00", "CNY"},
    {"五毛钱", "五毛钱", "0.50", "CNY"},
    {"九毛九", "九毛九", "0.99", "CNY"},
    {"5角", "5角", "0.50", "CNY"},
    {"8分钱", "8分钱", "0.08", "CNY"},
    {"3元5角2分", "3元5角2分", "3.52", "CNY"},
    {"三元零五分", "三元零五分", "3.05", "CNY"},
    {"五块五毛", "五块五毛", "5.50", "CNY"},
    {"一块半", "一块半", "1.50", "CNY"},
    {"一点五万元", "一点五万元", "15000.00", "CNY"},
    {"2万5千元", "2万5千元", "25000.00", "CNY"},
    {"1千5百元", "1千5百元", "1500.00", "CNY"},
    // Arabic amounts and multipliers.
    {"1.5万元", "1.5万元", "15000.00", "CNY"},
    {"2万元", "2万元", "20000.00", "CNY"},
    {"2w块", "2w块", "20000.00", "CNY"},
    {"rmb3k", "rmb3k", "3000.00", "CNY"},
    {"3k usd", "3k usd", "3000.00", "USD"},
    {"2 million dollars", "2 million dollars", "2000000.00", "USD"},
    {"0.5元", "0.5元", "0.50", "CNY"},
    {"1234.5678元", "1234.5678元", "1234.5678", "CNY"},
    {"价格是1,000,000.00元", "1,000,000.00元", "1000000.00", "CNY"},
    {"¥ 1,234.56", "¥ 1,234.56", "1234.56", "CNY"},
    {"1,234.5 dollars", "1,234.5 dollars", "1234.50", "USD"},
    // Currencies.
    {"人民币500元", "人民币500元", "500.00", "CNY"},
    {"500人民币", "500人民币", "500.00", "CNY"},
    {"cny 88.8", "cny 88.8", "88.80", "CNY"},
    {"20 yuan", "20 yuan", "20.00", "CNY"},
    {"30美元", "30美元", "30.00", "USD"},
    {"100美金", "100美金", "100.00", "USD"},
    {"US$25.99", "US$25.99", "25.99", "USD"},
    {"100 bucks", "100 bucks", "100.00", "USD"},
    {"€20", "€20", "20.00", "EUR"},
    {"50 euros", "50 euros", "50.00", "EUR"},
    {"20欧元", "20欧元", "20.00", "EUR"},
    {"HK$100", "HK$100", "100.00", "HKD"},
    {"100港币", "100港币", "100.00", "HKD"},
    {"港币200元", "港币200元", "200.00", "HKD"},
    {"300港元", "300港元", "300.00", "HKD"},
    {"200 HKD", "200 HKD", "200.00", "HKD"},
    {"£50", "£50", "50.00", "GBP"},
    {"50英镑", "50英镑", "50.00", "GBP"},
    {"10 pounds", "10 pounds", "10.00", "GBP"},
    {"1000円", "1000円", "1000", "JPY"},
    {"5000日元", "5000日元", "5000", "JPY"},
    {"JPY 300", "JPY 300", "300", "JPY"},
    // No currency, but a money keyword before the amount.
    {"还款一千五", "一千五", "1500.00", "CNY", true},
    {"转三百五", "三百五", "350.00", "CNY", true},
    {"余额还有500", "500", "500.00", "CNY", true},
    {"我还500", "500", "500.00", "CNY", true},
    {"amount: 88.50", "88.50", "88.50", "CNY", true},
    {"transfer 200 to mum", "200", "200.00", "CNY", true},
    {"a refund of 45.99 please", "45.99", "45.99", "CNY", true},
};

TEST(Money, ExtractsTable) {
    for (const MoneyCase& c : kMoneyCases) {
        SCOPED_TRACE(c.input);
        auto all = Extract(c.input);
        auto money = OfType(all, "money");
        ASSERT_EQ(money.size(), 1u) << Describe(all);
        EXPECT_EQ(money[0].text, c.text);
        EXPECT_EQ(money[0].value.at("amount").as_string(), c.amount);
        EXPECT_EQ(money[0].value.at("currency").as_string(), c.currency);
        EXPECT_EQ(money[0].value.contains("currency_inferred"), c.inferred);
    }
}

// None of these holds money.
constexpr const char* kNotMoney[] = {
    "2026年",  // a year
    "2026年12月1日",
    "一万二",  // a bare number is a quantity, not money
    "500",
    "1000.50",  // no separators: could be anything
    "我有3张卡",
    "转账3次",  // counts transfers
    "还3期",
    "还一下",    // a lone Chinese digit after a verb
    "一块蛋糕",  // 块 as a measure word
    "我们一块儿去",
    "考了90分",
    "那里有一万多人",
    "千万不要",
    "万一出错了",
    "call 13812345678",  // a phone number is not an amount
    "给我打电话13812345678",
    "卡号4111111111111111",  // nor is a card number
    "4111 1111 1111 1111",
    "2kg",
    "3.5%",
    "pay 3 times",
    "12/1",
    "¥",
    "元旦快乐",
    "下午三点五十",
    "version 1,000.5",
    "1月1日元旦",  // New Year's Day, not 1 yen
};

TEST(Money, IgnoresNonMoneyTable) {
    for (const char* text : kNotMoney) {
        SCOPED_TRACE(text);
        auto all = Extract(text);
        EXPECT_TRUE(OfType(all, "money").empty()) << Describe(all);
    }
}

TEST(Money, FindsSeveralAmountsWithExactSpans) {
    auto all = Extract("€20 and 50 euros, 还有£50 英镑30");
    auto money = OfType(all, "money");
    ASSERT_EQ(money.size(), 4u) << Describe(all);
    EXPECT_EQ(money[0].text, "€20");
    EXPECT_EQ(money[0].start, 0u);
    EXPECT_EQ(money[0].end, 3u);
    EXPECT_EQ(money[1].text, "50 euros");
    EXPECT_EQ(money[1].start, 8u);
    EXPECT_EQ(money[2].text, "£50");  // 英镑 introduces the next amount
    EXPECT_EQ(money[3].text, "英镑30");
    EXPECT_EQ(money[3].value.at("currency").as_string(), "GBP");
}

TEST(Money, ChineseCommaSeparatesAmounts) {
    // '，' is a clause comma, not a thousands separator: two amounts, not 500200.
    auto money = OfType(Extract("转账500，200元"), "money");
    ASSERT_EQ(money.size(), 2u);
    EXPECT_EQ(money[0].value.at("amount").as_string(), "500.00");
    EXPECT_EQ(money[1].value.at("amount").as_string(), "200.00");
    // Between full-width digits it is a thousands separator.
    money = OfType(Extract("１，０００元"), "money");
    ASSERT_EQ(money.size(), 1u);
    EXPECT_EQ(money[0].value.at("amount").as_string(), "1000.00");
    EXPECT_EQ(money[0].text, "１，０００元");
}

TEST(Money, PhoneAndAmountInOneSentence) {
    auto all = Extract("给13812345678转500元");
    ASSERT_EQ(all.size(), 2u) << Describe(all);
    EXPECT_EQ(all[0].type, "phone");
    EXPECT_EQ(all[1].type, "money");
    EXPECT_EQ(all[1].text, "500元");
    EXPECT_EQ(all[1].start, 13u);
}

TEST(Money, DefaultCurrencyComesFromConfig) {
    EntityConfig config;
    config.default_currency = "HKD";
    auto x = EntityExtractor::Create(config);
    ASSERT_TRUE(x.ok());
    auto money = OfType(ExtractWith(*x, "转账1,000.50"), "money");
    ASSERT_EQ(money.size(), 1u);
    EXPECT_EQ(money[0].value.at("currency").as_string(), "HKD");
    EXPECT_TRUE(money[0].value.at("currency_inferred").as_bool());
}

}  // namespace
}  // namespace kefu::nlu
