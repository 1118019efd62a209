#include "nlu/datetime.hpp"

#include <gtest/gtest.h>

#include "nlu/test_support.hpp"

namespace kefu::nlu {
namespace {

using testing::Describe;
using testing::Extract;
using testing::ExtractWith;
using testing::Flat;

struct DateCase {
    const char* input;
    const char* type;
    const char* text;   // the original span
    const char* value;  // Flat(value)
};

// The reference time is Monday 2026-11-23 10:00 (+08:00).
constexpr DateCase kDateCases[] = {
    // Absolute dates.
    {"2026-12-01", "date", "2026-12-01", "date=2026-12-01"},
    {"2026/12/01", "date", "2026/12/01", "date=2026-12-01"},
    {"2026.12.1", "date", "2026.12.1", "date=2026-12-01"},
    {"12/1", "date", "12/1", "date=2026-12-01"},
    {"on 12/1/2027", "date", "12/1/2027", "date=2027-12-01"},
    {"2026年12月1日", "date", "2026年12月1日", "date=2026-12-01"},
    {"二〇二六年十二月一日", "date", "二〇二六年十二月一日", "date=2026-12-01"},
    {"12月1日", "date", "12月1日", "date=2026-12-01"},
    {"十二月一号", "date", "十二月一号", "date=2026-12-01"},
    {"1号", "date", "1号", "date=2026-11-01"},
    {"15号还款", "date", "15号", "date=2026-11-15"},
    {"三十号", "date", "三十号", "date=2026-11-30"},
    {"2028年2月29日", "date", "2028年2月29日", "date=2028-02-29"},
    // Days.
    {"今天", "date", "今天", "date=2026-11-23"},
    {"明天", "date", "明天", "date=2026-11-24"},
    {"后天", "date", "后天", "date=2026-11-25"},
    {"大后天", "date", "大后天", "date=2026-11-26"},
    {"昨天", "date", "昨天", "date=2026-11-22"},
    {"前天", "date", "前天", "date=2026-11-21"},
    {"大前天", "date", "大前天", "date=2026-11-20"},
    {"明日", "date", "明日", "date=2026-11-24"},
    // Weeks (Monday first).
    {"本周五", "date", "本周五", "date=2026-11-27"},
    {"这周五", "date", "这周五", "date=2026-11-27"},
    {"這週五", "date", "這週五", "date=2026-11-27"},
    {"下周一", "date", "下周一", "date=2026-11-30"},
    {"上周五", "date", "上周五", "date=2026-11-20"},
    {"下下周一", "date", "下下周一", "date=2026-12-07"},
    {"上个星期一", "date", "上个星期一", "date=2026-11-16"},
    {"周五", "date", "周五", "date=2026-11-27"},
    {"周日", "date", "周日", "date=2026-11-29"},
    {"星期天", "date", "星期天", "date=2026-11-29"},
    {"礼拜三", "date", "礼拜三", "date=2026-11-25"},
    {"本周", "date_range", "本周", "start=2026-11-23,end=2026-11-29"},
    {"下周", "date_range", "下周", "start=2026-11-30,end=2026-12-06"},
    {"上周", "date_range", "上周", "start=2026-11-16,end=2026-11-22"},
    {"周末", "date_range", "周末", "start=2026-11-28,end=2026-11-29"},
    // Months and years.
    {"上个月", "date_range", "上个月", "start=2026-10-01,end=2026-10-31"},
    {"下个月", "date_range", "下个月", "start=2026-12-01,end=2026-12-31"},
    {"这个月", "date_range", "这个月", "start=2026-11-01,end=2026-11-30"},
    {"上上个月", "date_range", "上上个月", "start=2026-09-01,end=2026-09-30"},
    {"本月底", "date", "本月底", "date=2026-11-30"},
    {"下个月月底", "date", "下个月月底", "date=2026-12-31"},
    {"下月15号", "date", "下月15号", "date=2026-12-15"},
    {"下个月15号", "date", "下个月15号", "date=2026-12-15"},
    {"下個月15號", "date", "下個月15號", "date=2026-12-15"},
    {"上个月15号", "date", "上个月15号", "date=2026-10-15"},
    {"下个月的十五号", "date", "下个月的十五号", "date=2026-12-15"},
    {"月底", "date", "月底", "date=2026-11-30"},
    {"月末", "date", "月末", "date=2026-11-30"},
    {"月初", "date", "月初", "date=2026-11-01"},
    {"年底", "date", "年底", "date=2026-12-31"},
    {"年初", "date", "年初", "date=2026-01-01"},
    {"今年", "date_range", "今年", "start=2026-01-01,end=2026-12-31"},
    {"去年", "date_range", "去年", "start=2025-01-01,end=2025-12-31"},
    {"明年3月", "date_range", "明年3月", "start=2027-03-01,end=2027-03-31"},
    {"去年12月1日", "date", "去年12月1日", "date=2025-12-01"},
    {"今年年底", "date", "今年年底", "date=2026-12-31"},
    {"2026年", "date_range", "2026年", "start=2026-01-01,end=2026-12-31"},
    {"2026年12月", "date_range", "2026年12月", "start=2026-12-01,end=2026-12-31"},
    {"3月", "date_range", "3月", "start=2026-03-01,end=2026-03-31"},
    {"12月份", "date_range", "12月份", "start=2026-12-01,end=2026-12-31"},
    {"12月上旬", "date_range", "12月上旬", "start=2026-12-01,end=2026-12-10"},
    {"2月底", "date", "2月底", "date=2026-02-28"},
    // Rolling ranges and offsets.
    {"最近三天", "date_range", "最近三天", "start=2026-11-21,end=2026-11-23"},
    {"近7天", "date_range", "近7天", "start=2026-11-17,end=2026-11-23"},
    {"过去一周", "date_range", "过去一周", "start=2026-11-17,end=2026-11-23"},
    {"最近一个月", "date_range", "最近一个月", "start=2026-10-24,end=2026-11-23"},
    {"近两周", "date_range", "近两周", "start=2026-11-10,end=2026-11-23"},
    {"三天后", "date", "三天后", "date=2026-11-26"},
    {"3天前", "date", "3天前", "date=2026-11-20"},
    {"两周后", "date", "两周后", "date=2026-12-07"},
    {"一个月以后", "date", "一个月以后", "date=2026-12-23"},
    // English.
    {"next Friday", "date", "next Friday", "date=2026-12-04"},
    {"last Friday", "date", "last Friday", "date=2026-11-20"},
    {"this Friday", "date", "this Friday", "date=2026-11-27"},
    {"on Friday", "date", "Friday", "date=2026-11-27"},
    {"next Monday", "date", "next Monday", "date=2026-11-30"},
    {"last Sunday", "date", "last Sunday", "date=2026-11-22"},
    {"next fri.", "date", "next fri.", "date=2026-12-04"},
    {"tomorrow", "date", "tomorrow", "date=2026-11-24"},
    {"Yesterday", "date", "Yesterday", "date=2026-11-22"},
    {"today", "date", "today", "date=2026-11-23"},
    {"the day after tomorrow", "date", "the day after tomorrow", "date=2026-11-25"},
    {"the day before yesterday", "date", "the day before yesterday", "date=2026-11-21"},
    {"last 3 days", "date_range", "last 3 days", "start=2026-11-21,end=2026-11-23"},
    {"the last 7 days", "date_range", "the last 7 days", "start=2026-11-17,end=2026-11-23"},
    {"past week", "date_range", "past week", "start=2026-11-17,end=2026-11-23"},
    {"past 2 months", "date_range", "past 2 months", "start=2026-09-24,end=2026-11-23"},
    {"last month", "date_range", "last month", "start=2026-10-01,end=2026-10-31"},
    {"next month", "date_range", "next month", "start=2026-12-01,end=2026-12-31"},
    {"this week", "date_range", "this week", "start=2026-11-23,end=2026-11-29"},
    {"next week", "date_range", "next week", "start=2026-11-30,end=2026-12-06"},
    {"last week", "date_range", "last week", "start=2026-11-16,end=2026-11-22"},
    {"this weekend", "date_range", "this weekend", "start=2026-11-28,end=2026-11-29"},
    {"last year", "date_range", "last year", "start=2025-01-01,end=2025-12-31"},
    {"3 days ago", "date", "3 days ago", "date=2026-11-20"},
    {"two weeks ago", "date", "two weeks ago", "date=2026-11-09"},
    {"in 2 weeks", "date", "in 2 weeks", "date=2026-12-07"},
    {"in a week", "date", "in a week", "date=2026-11-30"},
    {"December 1", "date", "December 1", "date=2026-12-01"},
    {"Dec 1st 2026", "date", "Dec 1st 2026", "date=2026-12-01"},
    {"March 15, 2027", "date", "March 15, 2027", "date=2027-03-15"},
    {"1 December", "date", "1 December", "date=2026-12-01"},
    {"the 1st of December", "date", "1st of December", "date=2026-12-01"},
    {"December 2026", "date_range", "December 2026", "start=2026-12-01,end=2026-12-31"},
    {"in December", "date_range", "December", "start=2026-12-01,end=2026-12-31"},
    {"end of the month", "date", "end of the month", "date=2026-11-30"},
    {"end of next month", "date", "end of next month", "date=2026-12-31"},
    {"beginning of next month", "date", "beginning of next month", "date=2026-12-01"},
    {"end of the year", "date", "end of the year", "date=2026-12-31"},
    // Times.
    {"下午3点", "time", "下午3点", "time=15:00"},
    {"3pm", "time", "3pm", "time=15:00"},
    {"15:00", "time", "15:00", "time=15:00"},
    {"3:30 pm", "time", "3:30 pm", "time=15:30"},
    {"10am", "time", "10am", "time=10:00"},
    {"12am", "time", "12am", "time=00:00"},
    {"9 p.m.", "time", "9 p.m.", "time=21:00"},
    {"noon", "time", "noon", "time=12:00"},
    {"晚上八点半", "time", "晚上八点半", "time=20:30"},
    {"十点一刻", "time", "十点一刻", "time=10:15"},
    {"三点半", "time", "三点半", "time=03:30"},
    {"凌晨2点", "time", "凌晨2点", "time=02:00"},
    {"3点15分", "time", "3点15分", "time=03:15"},
    {"上午10点", "time", "上午10点", "time=10:00"},
    {"中午1点", "time", "中午1点", "time=13:00"},
    {"晚上12点", "time", "晚上12点", "time=00:00"},
    {"下午两点二十", "time", "下午两点二十", "time=14:20"},
    // Dates with times and parts of the day.
    {"明天下午3点", "datetime", "明天下午3点", "datetime=2026-11-24T15:00"},
    {"明天 15:30", "datetime", "明天 15:30", "datetime=2026-11-24T15:30"},
    {"tomorrow at 3pm", "datetime", "tomorrow at 3pm", "datetime=2026-11-24T15:00"},
    {"3pm tomorrow", "datetime", "3pm tomorrow", "datetime=2026-11-24T15:00"},
    {"2026-12-01T15:00", "datetime", "2026-12-01T15:00", "datetime=2026-12-01T15:00"},
    {"2026-12-01 09:30", "datetime", "2026-12-01 09:30", "datetime=2026-12-01T09:30"},
    {"今晚8点", "datetime", "今晚8点", "datetime=2026-11-23T20:00"},
    {"明早8点", "datetime", "明早8点", "datetime=2026-11-24T08:00"},
    {"yesterday afternoon", "datetime", "yesterday afternoon", "start=2026-11-22T12:00,end=2026-11-22T18:00"},
    {"明天上午", "datetime", "明天上午", "start=2026-11-24T06:00,end=2026-11-24T12:00"},
    {"昨天晚上", "datetime", "昨天晚上", "start=2026-11-22T18:00,end=2026-11-22T23:59"},
    {"今晚", "datetime", "今晚", "start=2026-11-23T18:00,end=2026-11-23T23:59"},
    {"tonight", "datetime", "tonight", "start=2026-11-23T18:00,end=2026-11-23T23:59"},
    {"this afternoon", "datetime", "this afternoon", "start=2026-11-23T12:00,end=2026-11-23T18:00"},
    {"下周五下午", "datetime", "下周五下午", "start=2026-12-04T12:00,end=2026-12-04T18:00"},
    {"Friday morning", "datetime", "Friday morning", "start=2026-11-27T06:00,end=2026-11-27T12:00"},
};

TEST(DateTime, ExtractsTable) {
    for (const DateCase& c : kDateCases) {
        SCOPED_TRACE(c.input);
        auto all = Extract(c.input);
        ASSERT_EQ(all.size(), 1u) << Describe(all);
        EXPECT_EQ(all[0].type, c.type);
        EXPECT_EQ(all[0].text, c.text);
        EXPECT_EQ(Flat(all[0].value), c.value);
    }
}

// None of these holds a date or a time.
constexpr const char* kNotDates[] = {
    "快一点",  // "a little faster"
    "多一点",
    "十二点",  // a Chinese-numeral hour alone
    "1号线",   // metro line 1
    "第3号",      "32号",        "2月30日", "13/45",         "3个月", "一周内", "may I help you",
    "I sat down", "192.168.1.1", "3.5",     "version 1.2.3", "at 3",  "25:00",
};

TEST(DateTime, IgnoresNonDatesTable) {
    for (const char* text : kNotDates) {
        SCOPED_TRACE(text);
        auto all = Extract(text);
        EXPECT_TRUE(all.empty()) << Describe(all);
    }
}

TEST(DateTime, ResolvesAgainstTheCallersReferenceTime) {
    EntityExtractor x;
    // Sunday 2027-01-03: "下周一" is the next day, "上个月" is December of the year before.
    auto all = ExtractWith(x, "下周一 上个月 明天", "2027-01-03T23:00:00Z");
    ASSERT_EQ(all.size(), 3u) << Describe(all);
    EXPECT_EQ(Flat(all[0].value), "date=2027-01-04");
    EXPECT_EQ(Flat(all[1].value), "start=2026-12-01,end=2026-12-31");
    EXPECT_EQ(Flat(all[2].value), "date=2027-01-04");
    // Leap years and month ends.
    all = ExtractWith(x, "月底 下个月月底", "2028-01-31");
    ASSERT_EQ(all.size(), 2u) << Describe(all);
    EXPECT_EQ(Flat(all[0].value), "date=2028-01-31");
    EXPECT_EQ(Flat(all[1].value), "date=2028-02-29");
}

TEST(DateTime, FindsSeveralInOneSentence) {
    auto all = Extract("我想查上个月15号到本月底的流水，明天下午3点前回复");
    ASSERT_EQ(all.size(), 3u) << Describe(all);
    EXPECT_EQ(all[0].text, "上个月15号");
    EXPECT_EQ(all[1].text, "本月底");
    EXPECT_EQ(all[2].text, "明天下午3点");
    EXPECT_EQ(all[2].start, 17u);
    EXPECT_EQ(all[2].end, 23u);
}

TEST(DateTime, ReferenceTimeMustBeIso8601) {
    for (const char* good : {"2026-11-23", "2026-11-23T10:00", "2026-11-23T10:00:00", "2026-11-23T10:00:00.123Z",
                             "2026-11-23T10:00:00+08:00", "2026-11-23T10:00:00-0500", "2026-11-23 10:00"}) {
        EXPECT_TRUE(detail::ParseReferenceTime(good).ok()) << good;
    }
    for (const char* bad : {"", "now", "2026-13-01", "2026-02-30", "2026-11-23T25:00", "23/11/2026",
                            "2026-11-23T10:00:00+8", "2026-11-23x"}) {
        auto r = detail::ParseReferenceTime(bad);
        ASSERT_FALSE(r.ok()) << bad;
        EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    }
}

}  // namespace
}  // namespace kefu::nlu
