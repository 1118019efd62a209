#include "nlu/identifiers.hpp"

#include <gtest/gtest.h>

#include "nlu/test_support.hpp"

namespace kefu::nlu {
namespace {

using testing::Describe;
using testing::Extract;
using testing::ExtractWith;
using testing::Flat;
using testing::OfType;

struct IdentifierCase {
    const char* input;
    const char* type;
    const char* text;   // the original span
    const char* value;  // Flat(value)
};

constexpr IdentifierCase kIdentifierCases[] = {
    // Cards: 13-19 digits, Luhn, in one block or grouped.
    {"4111111111111111", "card_number", "4111111111111111", "masked=************1111,last4=1111,length=16"},
    {"卡号4111 1111 1111 1111", "card_number", "4111 1111 1111 1111", "masked=************1111,last4=1111,length=16"},
    {"card 4111-1111-1111-1111.", "card_number", "4111-1111-1111-1111", "masked=************1111,last4=1111,length=16"},
    {"6222021234567890128", "card_number", "6222021234567890128", "masked=***************0128,last4=0128,length=19"},
    {"卡号：6222 0212 3456 7890 128。", "card_number", "6222 0212 3456 7890 128",
     "masked=***************0128,last4=0128,length=19"},
    {"5500005555555559", "card_number", "5500005555555559", "masked=************5559,last4=5559,length=16"},
    {"amex 378282246310005", "card_number", "378282246310005", "masked=***********0005,last4=0005,length=15"},
    {"3782 822463 10005", "card_number", "3782 822463 10005", "masked=***********0005,last4=0005,length=15"},
    {"4222222222222", "card_number", "4222222222222", "masked=*********2222,last4=2222,length=13"},
    {"6011111111111117", "card_number", "6011111111111117", "masked=************1117,last4=1117,length=16"},
    {"3056 930902 5904", "card_number", "3056 930902 5904", "masked=**********5904,last4=5904,length=14"},
    {"４１１１１１１１１１１１１１１１", "card_number", "４１１１１１１１１１１１１１１１",
     "masked=************1111,last4=1111,length=16"},
    // Resident ID numbers: checksum and birth date.
    {"身份证11010519491231002X。", "id_number", "11010519491231002X",
     "masked=**************002X,birth_date=1949-12-31"},
    {"11010519491231002x", "id_number", "11010519491231002x", "masked=**************002X,birth_date=1949-12-31"},
    {"110105 19491231 002X", "id_number", "110105 19491231 002X", "masked=**************002X,birth_date=1949-12-31"},
    {"ID 44030519900101123X", "id_number", "44030519900101123X", "masked=**************123X,birth_date=1990-01-01"},
    {"320102198512314564", "id_number", "320102198512314564", "masked=**************4564,birth_date=1985-12-31"},
    {"510107200002297896", "id_number", "510107200002297896", "masked=**************7896,birth_date=2000-02-29"},
    // Mobile phones.
    {"13812345678", "phone", "13812345678", "e164=+8613812345678,masked=138****5678"},
    {"我的电话是13812345678", "phone", "13812345678", "e164=+8613812345678,masked=138****5678"},
    {"+8613812345678", "phone", "+8613812345678", "e164=+8613812345678,masked=138****5678"},
    {"call +86 138 1234 5678 now", "phone", "+86 138 1234 5678", "e164=+8613812345678,masked=138****5678"},
    {"86 13812345678", "phone", "86 13812345678", "e164=+8613812345678,masked=138****5678"},
    {"+86-138-1234-5678", "phone", "+86-138-1234-5678", "e164=+8613812345678,masked=138****5678"},
    {"手机号+86 139-1234-5678", "phone", "+86 139-1234-5678", "e164=+8613912345678,masked=139****5678"},
    {"138-1234-5678", "phone", "138-1234-5678", "e164=+8613812345678,masked=138****5678"},
    {"138 1234 5678", "phone", "138 1234 5678", "e164=+8613812345678,masked=138****5678"},
    {"１３８１２３４５６７８", "phone", "１３８１２３４５６７８", "e164=+8613812345678,masked=138****5678"},
    {"15912345678", "phone", "15912345678", "e164=+8615912345678,masked=159****5678"},
    {"19912345678", "phone", "19912345678", "e164=+8619912345678,masked=199****5678"},
    // E-mail.
    {"zhang.san@example.com", "email", "zhang.san@example.com", "address=zhang.san@example.com"},
    {"my email is Zhang.San@Example.COM!", "email", "Zhang.San@Example.COM", "address=zhang.san@example.com"},
    {"邮箱是abc@qq.com。", "email", "abc@qq.com", "address=abc@qq.com"},
    {"a+b@mail.example.co.uk", "email", "a+b@mail.example.co.uk", "address=a+b@mail.example.co.uk"},
    {"ｔｅｓｔ＠ｅｘａｍｐｌｅ．ｃｎ", "email", "ｔｅｓｔ＠ｅｘａｍｐｌｅ．ｃｎ", "address=test@example.cn"},
    // Transfer references.
    {"流水号 2026112300012345", "transfer_ref", "2026112300012345", "reference=2026112300012345"},
    {"流水号：AB12345678", "transfer_ref", "AB12345678", "reference=AB12345678"},
    {"交易流水号是20261123ABC", "transfer_ref", "20261123ABC", "reference=20261123ABC"},
    {"reference number: 88776655", "transfer_ref", "88776655", "reference=88776655"},
    {"ref no. ab-1234-5678", "transfer_ref", "ab-1234-5678", "reference=AB-1234-5678"},
    {"TRF2026112300012345", "transfer_ref", "TRF2026112300012345", "reference=TRF2026112300012345"},
    {"ref FT24327ABC12345", "transfer_ref", "FT24327ABC12345", "reference=FT24327ABC12345"},
    {"UTR 123456789012", "transfer_ref", "123456789012", "reference=123456789012"},
    // A card number after 流水号 is the reference, not a card.
    {"流水号6222021234567890128", "transfer_ref", "6222021234567890128", "reference=6222021234567890128"},
};

TEST(Identifiers, ExtractsTable) {
    for (const IdentifierCase& c : kIdentifierCases) {
        SCOPED_TRACE(c.input);
        auto all = Extract(c.input);
        ASSERT_EQ(all.size(), 1u) << Describe(all);
        EXPECT_EQ(all[0].type, c.type);
        EXPECT_EQ(all[0].text, c.text);
        EXPECT_EQ(Flat(all[0].value), c.value);
    }
}

struct NegativeCase {
    const char* input;
    const char* type;  // no entity of this type
};

constexpr NegativeCase kNegativeCases[] = {
    {"4111111111111112", "card_number"},  // 16 digits that fail Luhn are not a card
    {"4111 1111 1111 1112", "card_number"},
    {"0000000000000000", "card_number"},      // passes Luhn, but no card starts with 0
    {"41111111111111111111", "card_number"},  // 20 digits
    {"4111 11111111 1111", "card_number"},    // not a card layout
    {"abc4111111111111111", "card_number"},   // glued to letters
    {"4111111111111111.50", "card_number"},   // a decimal number
    {"110105194912310021", "id_number"},      // wrong check digit
    {"110105194913310021", "id_number"},      // checksum right, month 13
    {"440305199002301239", "id_number"},      // checksum right, 30 February
    {"011010519491231002X", "id_number"},
    {"12812345678", "phone"},   // 12x is not a mobile prefix
    {"1381234567", "phone"},    // 10 digits
    {"138123456789", "phone"},  // 12 digits
    {"010-12345678", "phone"},  // a landline
    {"13812345678abc", "phone"},
    {"1381-2345-678", "phone"},  // not a phone layout
    {"a@b", "email"},
    {"@example.com", "email"},
    {"foo@bar.c", "email"},
    {"a@.com", "email"},
    {"TRF123", "transfer_ref"},  // too short
    {"ftp server", "transfer_ref"},
    {"reference to the manual", "transfer_ref"},
    {"流水号是多少", "transfer_ref"},
    {"123456789012", "account_number"},  // no account patterns by default
};

TEST(Identifiers, RejectsTable) {
    for (const NegativeCase& c : kNegativeCases) {
        SCOPED_TRACE(c.input);
        auto all = Extract(c.input);
        EXPECT_TRUE(OfType(all, c.type).empty()) << Describe(all);
        EXPECT_TRUE(OfType(all, "money").empty()) << Describe(all);
    }
}

TEST(Identifiers, AccountNumbersFollowConfiguredPatterns) {
    EntityConfig config;
    config.account_patterns = {"6217\\d{15}", "\\d{12}"};
    auto x = EntityExtractor::Create(config);
    ASSERT_TRUE(x.ok()) << x.error().message;

    auto all = ExtractWith(*x, "账号6217000012345678901");
    ASSERT_EQ(all.size(), 1u) << Describe(all);
    EXPECT_EQ(all[0].type, "account_number");
    EXPECT_EQ(Flat(all[0].value), "masked=***************8901,last4=8901,length=19");

    all = ExtractWith(*x, "account 1234 5678 9012");
    ASSERT_EQ(all.size(), 1u) << Describe(all);
    EXPECT_EQ(all[0].type, "account_number");
    EXPECT_EQ(all[0].text, "1234 5678 9012");

    // A Luhn-valid card wins over an account pattern; a mobile is never an account unless it matches one.
    all = ExtractWith(*x, "6217000012345678901 4111111111111111 13812345678");
    ASSERT_EQ(all.size(), 3u) << Describe(all);
    EXPECT_EQ(all[0].type, "account_number");
    EXPECT_EQ(all[1].type, "card_number");
    EXPECT_EQ(all[2].type, "phone");
}

TEST(Identifiers, AccountPatternSyntax) {
    auto p = AccountPattern::Parse("62\\d{14,17}");
    ASSERT_TRUE(p.ok());
    EXPECT_TRUE(p->Matches("6200000000000000"));     // 16
    EXPECT_TRUE(p->Matches("6200000000000000000"));  // 19
    EXPECT_FALSE(p->Matches("620000000000000"));     // 15
    EXPECT_FALSE(p->Matches("63000000000000000"));
    auto q = AccountPattern::Parse("1?\\d{3}0");
    ASSERT_TRUE(q.ok());
    EXPECT_TRUE(q->Matches("12340"));
    EXPECT_TRUE(q->Matches("2340"));
    EXPECT_FALSE(q->Matches("2341"));
    for (const char* bad : {"", "abc", "\\d{", "\\d{3", "\\d{5,2}", "[0-9]{4}", "\\w+", "62.*"}) {
        auto r = AccountPattern::Parse(bad);
        ASSERT_FALSE(r.ok()) << bad;
        EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    }
}

TEST(Identifiers, SplitsRunsIntoSeparateIdentifiers) {
    auto all = Extract("2026-12-01 13812345678, 4111 1111 1111 1111 13912345678");
    ASSERT_EQ(all.size(), 4u) << Describe(all);
    EXPECT_EQ(all[0].type, "date");
    EXPECT_EQ(all[1].type, "phone");
    EXPECT_EQ(all[2].type, "card_number");
    EXPECT_EQ(all[3].type, "phone");
    EXPECT_EQ(all[3].text, "13912345678");
}

TEST(Identifiers, ValuesNeverHoldTheFullCardOrIdNumber) {
    auto all = Extract("卡4111111111111111 身份证11010519491231002X 账户6222021234567890128");
    ASSERT_EQ(all.size(), 3u) << Describe(all);
    for (const Entity& e : all) {
        const std::string value = boost::json::serialize(e.value);
        EXPECT_EQ(value.find("4111111111111111"), std::string::npos);
        EXPECT_EQ(value.find("11010519491231002"), std::string::npos);
        EXPECT_EQ(value.find("6222021234567890128"), std::string::npos);
        const std::string logged = boost::json::serialize(ToJson(e));
        EXPECT_EQ(logged.find("4111111111111111"), std::string::npos) << logged;
        EXPECT_EQ(logged.find("11010519491231002"), std::string::npos) << logged;
        EXPECT_EQ(LoggableText(e).find("111111111111"), std::string::npos);
    }
}

}  // namespace
}  // namespace kefu::nlu
