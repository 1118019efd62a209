#include "core/utf8.hpp"

#include <gtest/gtest.h>

namespace kefu {
namespace {

TEST(Utf8, AcceptsWellFormedText) {
    EXPECT_TRUE(IsValidUtf8(""));
    EXPECT_TRUE(IsValidUtf8("hello"));
    EXPECT_TRUE(IsValidUtf8("你好，世界"));
    EXPECT_TRUE(IsValidUtf8("emoji \xF0\x9F\x98\x80"));
}

TEST(Utf8, RejectsMalformedText) {
    EXPECT_FALSE(IsValidUtf8("\xFF"));
    EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));          // overlong '/'
    EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));      // surrogate
    EXPECT_FALSE(IsValidUtf8("\xE4\xBD"));          // truncated
    EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // above U+10FFFF
}

TEST(Utf8, CountsCodePoints) {
    EXPECT_EQ(Utf8Length("abc"), 3u);
    EXPECT_EQ(Utf8Length("你好"), 2u);
    EXPECT_EQ(Utf8Length("a\xF0\x9F\x98\x80"), 2u);
}

TEST(Utf8, FindsControlCharacters) {
    EXPECT_FALSE(HasControlChars("line\nnext\ttab"));
    EXPECT_TRUE(HasControlChars(std::string("nul\0x", 5)));
    EXPECT_TRUE(HasControlChars("bell\x07"));
}

}  // namespace
}  // namespace kefu
