#include "nlu/normalise.hpp"

#include <gtest/gtest.h>

#include "nlu/test_support.hpp"

namespace kefu::nlu {
namespace {

using testing::Normalised;
using testing::SharedNormaliser;

struct NormaliseCase {
    const char* input;
    const char* expected;
};

constexpr NormaliseCase kNormaliseCases[] = {
    {"", ""},
    {"   ", ""},
    {"ＡＢＣ１２３", "abc123"},  // full-width to half-width, case folded
    {"Hello World", "hello world"},
    {"ＲＭＢ　５００", "rmb 500"},     // ideographic space
    {"  多个   空格  ", "多个 空格"},  // collapsed and trimmed
    {"a\tb\nc\r\nd", "a b c d"},
    {"下個月15號", "下个月15号"},  // Traditional to Simplified
    {"壹萬伍仟元", "壹万伍仟元"},
    {"這週五轉賬", "这周五转账"},
    {"餘額還有兩千塊錢", "余额还有两千块钱"},
    {"“引号”", "\"引号\""},  // curly quotes
    {"‘a’", "'a'"},
    {"「确认」", "\"确认\""},  // corner brackets
    {"a—b–c", "a-b-c"},        // dashes
    {"【通知】", "[通知]"},
    {"好！！！", "好!"},  // full-width, then collapsed
    {"真的？？", "真的?"},
    {"嗯。。。", "嗯。"},
    {"1,,2", "1,2"},
    {"zero\u200Bwidth", "zerowidth"},  // default-ignorable dropped
    {"e\u0301", "\u00e9"},             // combining mark composed
    {"\u3392", "mhz"},                 // compatibility unit
    {"Straße", "strasse"},             // full case folding
    {"😀", "😀"},
    {"a\x01"
     "b\x7f"
     "c",
     "a b c"},  // control characters become spaces
    {"ＴＲＦ２０２６", "trf2026"},
};

TEST(Normaliser, NormalisesTable) {
    for (const NormaliseCase& c : kNormaliseCases) {
        SCOPED_TRACE(c.input);
        NormalisedText n = Normalised(c.input);
        EXPECT_EQ(n.text, c.expected);
        EXPECT_EQ(n.code_points.size() + 1, n.to_original.size());
        EXPECT_EQ(n.code_points.size(), n.to_original_end.size());
        EXPECT_EQ(n.to_original.back(), n.original_length);
        EXPECT_EQ(n.original, c.input);
    }
}

TEST(Normaliser, RejectsInvalidUtf8) {
    for (const char* bad : {"\xff", "abc\xc3", "\xed\xa0\x80", "\xc0\xaf", "ok \xe4\xb8", "\xf8\x88\x80\x80\x80"}) {
        auto r = SharedNormaliser().Normalise(bad);
        ASSERT_FALSE(r.ok());
        EXPECT_EQ(r.error().code, ErrorCode::kInvalidUtf8);
    }
}

TEST(Normaliser, RejectsTextOverOneMebibyte) {
    auto r = SharedNormaliser().Normalise(std::string(Normaliser::kMaxInputBytes + 1, 'a'));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::kPayloadTooLarge);
}

TEST(Normaliser, MissingOpenCcConfigIsAnInternalError) {
    auto r = Normaliser::Create("/nonexistent/kefu-no-such-config.json");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::kInternal);
}

TEST(Normaliser, MapsEveryCodePointBackToTheOriginal) {
    // Original code points: Ａ(0) Ｂ(1) ' '(2) ' '(3) 😀(4) 下(5) 個(6) 月(7)
    NormalisedText n = Normalised("ＡＢ  😀下個月");
    ASSERT_EQ(n.text, "ab 😀下个月");
    const std::vector<std::size_t> starts = {0, 1, 2, 4, 5, 6, 7, 8};
    EXPECT_EQ(n.to_original, starts);
    EXPECT_EQ(n.OriginalSpan(4, 7), (std::pair<std::size_t, std::size_t>{5, 8}));
    EXPECT_EQ(n.OriginalSubstr(5, 8), "下個月");
    EXPECT_EQ(n.original_length, 8u);
}

TEST(Normaliser, MapsExpansionsAndDroppedCharactersToTheirSource) {
    // ㎒ (one code point) becomes "mhz"; the zero-width space disappears into the character before it.
    NormalisedText n = Normalised("x\u3392\u200By");
    ASSERT_EQ(n.text, "xmhzy");
    EXPECT_EQ(n.OriginalSpan(1, 2), (std::pair<std::size_t, std::size_t>{1, 3}));
    EXPECT_EQ(n.OriginalSpan(1, 4), (std::pair<std::size_t, std::size_t>{1, 3}));
    EXPECT_EQ(n.OriginalSpan(4, 5), (std::pair<std::size_t, std::size_t>{3, 4}));
    EXPECT_EQ(n.OriginalSubstr(1, 2), "\u3392");
}

TEST(Normaliser, KeepsOffsetsAfterEmojiAndZeroWidthJoiners) {
    // A family emoji is five code points (three people joined by two ZWJ); the joiners are dropped.
    NormalisedText n = Normalised("👨‍👩‍👧明天");
    ASSERT_EQ(n.text, "👨👩👧明天");
    EXPECT_EQ(n.OriginalSpan(3, 5), (std::pair<std::size_t, std::size_t>{5, 7}));
    EXPECT_EQ(n.OriginalSubstr(5, 7), "明天");
}

TEST(Normaliser, ConvertsOnlyChineseAndLeavesEverythingElse) {
    NormalisedText n = Normalised("Email: A.B@Example.COM 發票");
    EXPECT_EQ(n.text, "email: a.b@example.com 发票");
}

TEST(Normaliser, UtfHelpersRoundTrip) {
    const std::string s = "a¥下😀";
    std::u32string cps = DecodeUtf8(s);
    ASSERT_EQ(cps.size(), 4u);
    EXPECT_EQ(cps[3], U'😀');
    EXPECT_EQ(EncodeUtf8(cps), s);
}

}  // namespace
}  // namespace kefu::nlu
