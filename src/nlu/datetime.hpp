#pragma once
// The date and time extractor. Internal to the entity extractor.
//
// Relative expressions resolve against the caller's reference time, taken as local wall-clock time (the
// offset is checked but not applied). Weeks start on Monday. Ranges are inclusive on both ends.
//
// Types and values:
// - date        {"date": "2026-12-01"}
// - date_range  {"start": "2026-11-21", "end": "2026-11-23"}
// - time        {"time": "15:00"}
// - datetime    {"datetime": "2026-11-24T15:00"}, or for a date and a part of the day ("yesterday afternoon",
//               "明天上午") {"start": "2026-11-22T12:00", "end": "2026-11-22T18:00"}
//
// Forms understood (Chinese forms also after Traditional-to-Simplified normalisation):
// - absolute: 2026-12-01, 2026/12/01, 2026.12.01, 2026年12月1日, 二〇二六年十二月一日, 12月1日, 12月1号, 1号, 15日,
//   12/1 and 12/1/2026 (month/day in both languages), December 1, Dec 1st 2026, 1 December, 1st of December;
//   2026年12月, December 2026, 3月 and December alone are month ranges; 2026年 is a year range;
// - days: 今天 明天 后天 大后天 昨天 前天 大前天, today tomorrow yesterday, the day after tomorrow, the day before
// yesterday;
// - weeks: 本周五 这周五 下周一 下下周一 上周五 周五 星期五 礼拜五, this/next/last Friday, Friday (all week-based:
//   "next Friday" is the Friday of next week); 本周 下周 上周, this/next/last week and 周末/weekend are ranges;
// - months and years: 本月 下个月 下月 上个月 上月 (ranges), followed by 15号 or 底/初 (dates); 月底 月末 月初 年底
//   年末 年初; 今年 明年 去年 (ranges); next/last/this month or year; end of the month, beginning of next month;
// - rolling ranges ending today: 最近三天 近7天 过去一周 最近一个月, last 3 days, past week, past 2 months;
// - offsets: 三天后 3天前 两周后 一个月后, in 3 days, 3 days ago, 2 weeks ago;
// - times: 15:00, 3pm, 3:30 pm, noon, midnight, 3 o'clock, 下午3点, 晚上八点半, 3点15分, 十点一刻, 凌晨2点;
//   a Chinese-numeral hour needs a part of the day or a minute part ("一点" alone is "a little");
// - parts of the day: 凌晨 早上 上午 中午 下午 傍晚 晚上, 今晚 明早 昨晚, morning afternoon evening night,
//   tonight, this afternoon; with a date they give a datetime range, with a time they set am or pm.

#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "nlu/scan.hpp"

namespace kefu::nlu::detail {

struct CivilDate {
    int year = 1970;
    int month = 1;
    int day = 1;
};

struct ReferenceTime {
    CivilDate date;
    int hour = 0;
    int minute = 0;
};

// Accepts "2026-11-23", "2026-11-23T10:00", "2026-11-23T10:00:00", with optional fractional seconds and
// "Z" or a "+08:00" / "+0800" offset. Returns kInvalidArgument otherwise.
Result<ReferenceTime> ParseReferenceTime(std::string_view iso);

void ScanDateTimes(Text text, const ReferenceTime& reference, Claims& claims, std::vector<Candidate>& out);

}  // namespace kefu::nlu::detail
