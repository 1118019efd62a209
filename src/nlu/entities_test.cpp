#include "nlu/entities.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "core/utf8.hpp"
#include "nlu/test_support.hpp"

namespace kefu::nlu {
namespace {

using testing::Describe;
using testing::Extract;
using testing::Flat;
using testing::kReference;
using testing::Normalised;
using testing::OfType;
using testing::SharedNormaliser;

TEST(EntityExtractor, EmptyAndBlankTextHaveNoEntities) {
    EXPECT_TRUE(Extract("").empty());
    EXPECT_TRUE(Extract("   \t\n ").empty());
    EXPECT_TRUE(Extract("你好，请问有什么可以帮您？").empty());
    EXPECT_TRUE(Extract("hello, how can I help?").empty());
}

TEST(EntityExtractor, OffsetsAreCodePointsIntoTheOriginalAfterEmoji) {
    const std::string input = "😀😀转账500元给13812345678";
    auto all = Extract(input);
    ASSERT_EQ(all.size(), 2u) << Describe(all);
    EXPECT_EQ(all[0].type, "money");
    EXPECT_EQ(all[0].start, 4u);
    EXPECT_EQ(all[0].end, 8u);
    EXPECT_EQ(all[0].text, "500元");
    EXPECT_EQ(all[1].type, "phone");
    EXPECT_EQ(all[1].start, 9u);
    EXPECT_EQ(all[1].end, 20u);
    EXPECT_EQ(Utf8Length(input), 20u);
}

TEST(EntityExtractor, OffsetsSurviveZeroWidthJoinersAndFullWidthText) {
    auto all = Extract("👨‍👩‍👧 ¥５００ 明天");
    ASSERT_EQ(all.size(), 2u) << Describe(all);
    EXPECT_EQ(all[0].text, "¥５００");
    EXPECT_EQ(all[0].start, 6u);
    EXPECT_EQ(all[0].end, 10u);
    EXPECT_EQ(all[1].text, "明天");
    EXPECT_EQ(all[1].start, 11u);
}

TEST(EntityExtractor, ControlCharactersAreSpacesAndKeepOffsets) {
    const std::string input = std::string("\x01\x02明天\x7f") + "500元\x1b";
    auto all = Extract(input);
    ASSERT_EQ(all.size(), 2u) << Describe(all);
    EXPECT_EQ(all[0].text, "明天");
    EXPECT_EQ(all[0].start, 2u);
    EXPECT_EQ(all[0].end, 4u);
    EXPECT_EQ(all[1].text, "500元");
    EXPECT_EQ(all[1].start, 5u);
    EXPECT_EQ(all[1].end, 9u);
    // A NUL inside the text is a character like any other.
    all = Extract(std::string("a\0b 500元", 10));
    ASSERT_EQ(all.size(), 1u) << Describe(all);
    EXPECT_EQ(all[0].start, 4u);
}

TEST(EntityExtractor, InvalidUtf8IsAClearError) {
    auto r = SharedNormaliser().Normalise(
        "转账\xff"
        "500元");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidUtf8);
}

TEST(EntityExtractor, HundredKilobytesOfTextComplete) {
    std::string mixed;
    while (mixed.size() < 100 * 1024)
        mixed += "我想查上个月15号转给13812345678的1,000.50元。I paid $30 last Friday! 😀 ";
    auto all = Extract(mixed);
    EXPECT_GT(all.size(), 4000u);
    EXPECT_EQ(2 * OfType(all, "phone").size(), OfType(all, "date").size());  // 上个月15号, last Friday

    // Pathological inputs: one long run of each kind of character the scanners look at.
    const std::string repeats[] = {"1",    "1 ", "1-", "1.", "1,000,", "一",        "万",   "三点",
                                   "一块", "a@", "@",  "a",  "😀",      "e\xcc\x81", "\x01", "下個月"};
    for (const std::string& unit : repeats) {
        SCOPED_TRACE(unit);
        std::string big;
        while (big.size() < 100 * 1024) big += unit;
        auto r = SharedNormaliser().Normalise(big);
        ASSERT_TRUE(r.ok());
        auto entities = EntityExtractor().Extract(*r, ExtractOptions{kReference});
        EXPECT_TRUE(entities.ok());
    }
}

TEST(EntityExtractor, PrefersTheMoreSpecificEntity) {
    // A phone number is not an amount, a card is not an amount, a year is not money.
    auto all = Extract("给13812345678转账，卡号4111111111111111，2026年还");
    ASSERT_EQ(all.size(), 3u) << Describe(all);
    EXPECT_EQ(all[0].type, "phone");
    EXPECT_EQ(all[1].type, "card_number");
    EXPECT_EQ(all[2].type, "date_range");
    // An e-mail address swallows the digits inside it.
    all = Extract("13812345678@example.com");
    ASSERT_EQ(all.size(), 1u) << Describe(all);
    EXPECT_EQ(all[0].type, "email");
}

TEST(EntityExtractor, MixedSentenceInBothLanguages) {
    auto all = Extract("I want to transfer ¥2,000 to 138-1234-5678 tomorrow at 3pm, ref TRF2026112300012345");
    ASSERT_EQ(all.size(), 4u) << Describe(all);
    EXPECT_EQ(all[0].type, "money");
    EXPECT_EQ(Flat(all[0].value), "amount=2000.00,currency=CNY");
    EXPECT_EQ(all[1].type, "phone");
    EXPECT_EQ(all[2].type, "datetime");
    EXPECT_EQ(Flat(all[2].value), "datetime=2026-11-24T15:00");
    EXPECT_EQ(all[3].type, "transfer_ref");

    all = Extract("麻烦帮我查一下上周五下午转给张三的壹萬伍仟元，流水号是TX20261120");
    ASSERT_EQ(all.size(), 3u) << Describe(all);
    EXPECT_EQ(all[0].type, "datetime");
    EXPECT_EQ(all[1].type, "money");
    EXPECT_EQ(all[1].text, "壹萬伍仟元");
    EXPECT_EQ(all[2].type, "transfer_ref");
    EXPECT_EQ(Flat(all[2].value), "reference=TX20261120");
}

TEST(EntityExtractor, ReferenceTimeIsRequired) {
    EntityExtractor x;
    for (const char* bad : {"", "tomorrow", "2026-11-31T10:00:00Z"}) {
        auto r = x.Extract(Normalised("明天"), ExtractOptions{bad});
        ASSERT_FALSE(r.ok()) << bad;
        EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    }
}

TEST(EntityExtractor, ConfigIsValidated) {
    EntityConfig bad_pattern;
    bad_pattern.account_patterns = {"62\\d{14,17}", "[0-9]+"};
    auto r = EntityExtractor::Create(bad_pattern);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(r.error().message.find("[0-9]+"), std::string::npos);

    EntityConfig bad_currency;
    bad_currency.default_currency = "BTC";
    EXPECT_FALSE(EntityExtractor::Create(bad_currency).ok());

    EntityConfig bad_prefix;
    bad_prefix.transfer_ref_prefixes = {""};
    EXPECT_FALSE(EntityExtractor::Create(bad_prefix).ok());

    EntityConfig custom_prefix;
    custom_prefix.transfer_ref_prefixes = {"KF"};
    auto x = EntityExtractor::Create(custom_prefix);
    ASSERT_TRUE(x.ok());
    auto all = testing::ExtractWith(*x, "KF12345678 TRF2026112300012345");
    ASSERT_EQ(all.size(), 1u) << Describe(all);
    EXPECT_EQ(all[0].text, "KF12345678");
}

TEST(EntityExtractor, ToJsonHasTheCliShapeAndMasksSensitiveText) {
    auto all = Extract("卡号4111 1111 1111 1111，明天");
    ASSERT_EQ(all.size(), 2u) << Describe(all);
    boost::json::object card = ToJson(all[0]);
    EXPECT_EQ(card.at("type").as_string(), "card_number");
    EXPECT_EQ(card.at("text").as_string(), "************1111");
    EXPECT_EQ(card.at("start").as_uint64(), 2u);
    EXPECT_EQ(card.at("end").as_uint64(), 21u);
    EXPECT_EQ(ToJson(all[0], false).at("text").as_string(), "4111 1111 1111 1111");
    boost::json::object date = ToJson(all[1]);
    EXPECT_EQ(date.at("text").as_string(), "明天");
    EXPECT_EQ(date.at("value").at("date").as_string(), "2026-11-24");
    EXPECT_TRUE(IsSensitive("id_number"));
    EXPECT_FALSE(IsSensitive("money"));

    auto mail = Extract("write to zhang.san@example.com");
    ASSERT_EQ(mail.size(), 1u);
    EXPECT_EQ(LoggableText(mail[0]), "z***@example.com");
}

TEST(EntityExtractor, IsSafeToShareBetweenThreads) {
    const EntityExtractor x;
    const Normaliser& n = SharedNormaliser();
    std::vector<std::thread> threads;
    std::vector<int> ok(4, 0);
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 200; ++i) {
                auto text = n.Normalise("下個月15號轉賬壹萬伍仟元到4111111111111111");
                if (!text.ok()) return;
                auto all = x.Extract(*text, ExtractOptions{kReference});
                if (all.ok() && all->size() == 3 && (*all)[1].value.at("amount").as_string() == "15000.00") ++ok[t];
            }
        });
    }
    for (auto& th : threads) th.join();
    for (int t = 0; t < 4; ++t) EXPECT_EQ(ok[t], 200);
}

}  // namespace
}  // namespace kefu::nlu
