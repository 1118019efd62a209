#pragma once
// The money extractor. Internal to the entity extractor.
//
// An amount is money when it has a currency cue:
// - a symbol or code before it: ¥ $ US$ HK$ € £ rmb cny usd eur hkd gbp jpy 人民币 美元 美金 欧元 港币 港元 英镑
//   日元 ("¥500", "RMB 2k", "$30");
// - a currency word after it: 元 块 圆 (with 角/毛/分/整/钱: "三块五" = 3.50, "壹万伍仟元整", "一块半"), 人民币
//   rmb cny yuan, 美元 美金 usd dollars bucks, 欧元 eur euros, 港币 港元 hkd "hk dollars", 英镑 gbp pounds,
//   日元 円 jpy yen, or a trailing symbol ("30 dollars", "一千五百元");
// - 毛/角 alone ("五毛钱" = 0.50 CNY), or 分钱 ("八分钱" = 0.08 CNY).
// Without a currency cue an amount is money in the default currency (value "currency_inferred": true) only
// - right after a money keyword (转账 汇款 付款 支付 还款 金额 余额 扣款 收款 退款 消费 取款 存款 额度, the verbs
//   转 付 还 借 取 存 汇 扣 退 花 充 欠, or amount/balance/transfer/pay/paid/sent/withdraw/deposit/refund/fee/
//   charged/spent), perhaps with a few fillers between (了 是 为 约 共 有 剩 还 只 才 就 仅, ':', a space:
//   "余额还有500"), and not followed by a measure word or unit ("转账3次", "还3期" are not money), and not
//   a lone Chinese digit ("还一下" is not money); or
// - written with thousands separators and exactly two decimals ("1,000.50").
// So a bare number ("一万二", "500"), a year ("2026年"), a phone or a card number is never money. Arabic
// amounts take the multipliers k (10^3), w and 万 (10^4), m and million (10^6), thousand, billion.
// The value is {"amount": exact decimal string, "currency": ISO code}; amounts have at least two decimals,
// except JPY which has none unless written.

#include <string>
#include <vector>

#include "nlu/scan.hpp"

namespace kefu::nlu::detail {

void ScanMoney(Text text, const std::string& default_currency, Claims& claims, std::vector<Candidate>& out);

}  // namespace kefu::nlu::detail
