#pragma once
// One turn as the flow engine's parts see it: what the customer said and understood, the language of
// the reply, the verified customer, and the core bank (with each read made at most once per turn).

#include <optional>
#include <string>
#include <vector>

#include "banking/core_bank.hpp"
#include "dialogue/pipeline.hpp"
#include "flow/flow_def.hpp"

namespace kefu::flow {

class Turn {
  public:
    Turn(const dialogue::TurnInput& input, const dialogue::Understanding& u, const FlowSet& flows,
         banking::CoreBank* bank, std::string language, std::string today);

    const dialogue::TurnInput& input;
    const dialogue::Understanding& u;
    const FlowSet& flows;
    banking::CoreBank* bank;         // null when no core bank is configured
    std::string language;            // of the reply: zh | en
    std::string today;               // YYYY-MM-DD, the customer's local date
    std::string customer;            // the verified customer, "" before verification
    std::string text;                // the customer's text as typed (input.text, or the message that started a flow)
    std::vector<std::string> calls;  // "freeze_card:done", for the transcript and stories

    banking::CallContext Call(bool write, std::string_view op) const;
    const Result<std::vector<banking::Card>>& Cards();
    const Result<std::vector<banking::Account>>& Accounts();
    const Result<banking::CustomerProfile>& Profile();

  private:
    std::optional<Result<std::vector<banking::Card>>> cards_;
    std::optional<Result<std::vector<banking::Account>>> accounts_;
    std::optional<Result<banking::CustomerProfile>> profile_;
};

// Date arithmetic on YYYY-MM-DD strings.
std::string AddDays(const std::string& date, int days);
std::string FirstOfMonth(const std::string& date, int months_back);  // 0 = this month
std::string LastOfMonth(const std::string& date, int months_back);

// Display forms.
boost::json::object MoneyText(const banking::Money& m);     // {zh: "52,340.18元", en: "CNY 52,340.18"}
boost::json::object DateText(const std::string& iso_date);  // {zh: "2026年11月18日", en: "18 Nov 2026"}
boost::json::object CardLabel(const banking::Card& c);  // {zh: "尾号1282的借记卡", en: "debit card ending 1282"}
boost::json::object AccountLabel(const banking::Account& a);  // {zh: "尾号2601的人民币储蓄账户", ...}

}  // namespace kefu::flow
