#include "flow/actions.hpp"

#include <boost/json.hpp>
#include <map>

#include "core/log.hpp"
#include "core/metrics.hpp"

namespace kefu::flow {

namespace json = boost::json;

namespace {

std::string Field(const json::object& args, std::string_view param, std::string_view field = "id") {
    const auto* v = args.if_contains(param);
    if (v == nullptr) return {};
    if (v->is_string()) return std::string(v->get_string());
    if (v->is_object()) {
        if (const auto* f = v->get_object().if_contains(field); f && f->is_string())
            return std::string(f->get_string());
    }
    return {};
}

bool Flag(const json::object& args, std::string_view param) {
    const auto* v = args.if_contains(param);
    return v && ((v->is_bool() && v->get_bool()) || (v->is_string() && v->get_string() == "true"));
}

ActionResult Failed(const Error& e, std::string_view action) {
    log::Warn("core banking call failed", {{"action", action}, {"code", ErrorCodeName(e.code)}, {"error", e.message}});
    return {FailureOutcome(e), {}};
}

json::object TransactionVars(const banking::Transaction& t) {
    return {{"date", DateText(t.time.substr(0, 10))},
            {"description", json::object{{"zh", t.description.zh}, {"en", t.description.en}}},
            {"amount", MoneyText(t.amount)}};
}

json::value TotalsText(const std::vector<banking::Money>& totals) {
    if (totals.empty()) return MoneyText(banking::Money{0, "CNY"});
    json::object joined{{"zh", ""}, {"en", ""}};
    for (const auto& m : totals) {
        auto t = MoneyText(banking::Money{m.cents < 0 ? -m.cents : m.cents, m.currency});
        for (const char* lang : {"zh", "en"}) {
            std::string s(joined[lang].as_string());
            if (!s.empty()) s += lang == std::string_view("zh") ? "，" : ", ";
            s += t[lang].as_string();
            joined[lang] = s;
        }
    }
    return joined;
}

banking::TransactionQuery Query(const json::object& args, Turn& turn, bool debits_only) {
    banking::TransactionQuery q;
    q.account_id = Field(args, "account");
    q.card_id = Field(args, "card");
    q.from = Field(args, "period", "from");
    q.to = Field(args, "period", "to");
    q.merchant = Field(args, "merchant");
    q.category = Field(args, "merchant", "category");
    if (q.category.empty()) q.category = Field(args, "category");
    q.debits_only = debits_only;
    q.limit = debits_only ? 5 : 10;
    if (q.from.empty() && q.to.empty()) {  // the default period: the last 30 days
        q.from = AddDays(turn.today, -29);
        q.to = turn.today;
    }
    return q;
}

json::value PeriodLabel(const json::object& args) {
    if (const auto* p = args.if_contains("period"); p && p->is_object()) {
        if (const auto* l = p->get_object().if_contains("label")) return *l;
    }
    return json::object{{"zh", "最近30天"}, {"en", "the last 30 days"}};
}

ActionResult Accounts(const json::object& args, Turn& turn) {
    const auto& accounts = turn.Accounts();
    if (!accounts) return Failed(accounts.error(), "accounts");
    std::string only = Field(args, "account");
    // Or a filter the customer named ("my USD accounts"): currency, type, demand accounts only.
    std::string currency = Field(args, "account", "currency");
    std::string type = Field(args, "account", "type");
    const auto* acc = args.if_contains("account");
    bool demand = acc && acc->is_object() && acc->get_object().contains("demand");
    json::array items;
    for (const auto& a : accounts.value()) {
        if (!only.empty() && a.id != only) continue;
        if (!currency.empty() && a.balance.currency != currency) continue;
        if (!type.empty() && a.type != type) continue;
        if (demand && a.type == "fixed_deposit") continue;
        if (a.status == "closed") continue;
        items.push_back(
            json::object{{"label", AccountLabel(a)},
                         {"balance", MoneyText(a.balance)},
                         {"status", a.status},
                         {"dormant", a.status == "dormant"
                                         ? json::value(json::object{{"zh", "（长期不动户）"}, {"en", " (dormant)"}})
                                         : json::value("")}});
    }
    if (items.empty()) return {"not_found", {}};
    ActionResult r{"done", {}};
    r.vars["count"] = static_cast<std::int64_t>(items.size());
    r.vars["account"] = items.front();
    r.vars["accounts"] = std::move(items);
    return r;
}

ActionResult Transactions(const json::object& args, Turn& turn, bool spending) {
    auto q = Query(args, turn, spending);
    auto page = turn.bank->Transactions(turn.Call(false, "transactions"), turn.customer, q);
    if (!page) return Failed(page.error(), "transactions");
    ActionResult r{page->total == 0 ? "empty" : "done", {}};
    json::array items;
    for (const auto& t : page->items) items.push_back(TransactionVars(t));
    r.vars["transactions"] = std::move(items);
    r.vars["count"] = page->total;
    r.vars["total"] = TotalsText(page->totals);
    r.vars["period_label"] = PeriodLabel(args);
    if (const auto* m = args.if_contains("merchant"); m && m->is_object() && m->get_object().contains("label")) {
        r.vars["merchant_name"] = m->get_object().at("label");
    } else {
        r.vars["merchant_name"] = json::object{{"zh", "全部商户"}, {"en", "all merchants"}};
    }
    return r;
}

ActionResult CardAction(const std::string& action, const json::object& args, Turn& turn) {
    std::string card = Field(args, "card");
    Result<banking::CardActionResult> res = Error{ErrorCode::kInternal, "unknown"};
    if (action == "freeze_card") {
        res = turn.bank->Freeze(turn.Call(true, action), turn.customer, card);
    } else if (action == "unfreeze_card") {
        res = turn.bank->Unfreeze(turn.Call(true, action), turn.customer, card);
    } else {
        std::string reason = Field(args, "reason");
        res = turn.bank->ReportLost(turn.Call(true, action + (Flag(args, "replace") ? ":replace" : "")), turn.customer,
                                    card, reason.empty() ? "lost" : reason, Flag(args, "replace"));
    }
    if (!res) return Failed(res.error(), action);
    ActionResult r{res->outcome, {}};
    r.vars["card_after"] =
        json::object{{"label", CardLabel(res->card)}, {"status", res->card.status}, {"last4", res->card.last4}};
    r.vars["replacement"] = res->replacement_reference;
    return r;
}

json::object TransferStatusText(const std::string& status) {
    static const std::map<std::string, std::pair<const char*, const char*>> kStatus = {
        {"completed", {"已到账", "completed (the money has arrived)"}},
        {"pending", {"处理中", "still being processed"}},
        {"failed", {"转账失败", "failed"}},
        {"returned", {"已退回", "returned"}}};
    auto it = kStatus.find(status);
    if (it == kStatus.end()) return {{"zh", status}, {"en", status}};
    return {{"zh", it->second.first}, {"en", it->second.second}};
}

ActionResult TransferStatus(const json::object& args, Turn& turn) {
    auto t = turn.bank->TransferStatus(turn.Call(false, "transfer_status"), turn.customer, Field(args, "reference"));
    if (!t) return Failed(t.error(), "transfer_status");
    ActionResult r{t->status, {}};
    json::object reason{{"zh", ""}, {"en", ""}};
    if (t->reason) reason = {{"zh", t->reason->zh}, {"en", t->reason->en}};
    r.vars["transfer"] = json::object{{"reference", t->reference},
                                      {"date", DateText(t->date)},
                                      {"to", json::object{{"zh", t->to_name.zh}, {"en", t->to_name.en}}},
                                      {"tail", t->to_account_tail},
                                      {"amount", MoneyText(t->amount)},
                                      {"status", TransferStatusText(t->status)},
                                      {"reason", std::move(reason)}};
    return r;
}

ActionResult CardBill(const json::object& args, Turn& turn) {
    const auto& cards = turn.Cards();
    if (!cards) return Failed(cards.error(), "card_bill");
    std::string id = Field(args, "card");
    for (const auto& c : cards.value()) {
        if (c.id != id) continue;
        if (c.kind != "credit" || !c.statement_balance) return {"not_allowed", {}};
        ActionResult r{c.statement_balance->cents == 0 ? "empty" : "done", {}};
        r.vars["bill"] = json::object{{"balance", MoneyText(*c.statement_balance)},
                                      {"minimum", MoneyText(c.minimum_due.value_or(banking::Money{}))},
                                      {"limit", MoneyText(c.credit_limit.value_or(banking::Money{}))},
                                      {"statement_date", DateText(c.statement_date.value_or(""))},
                                      {"due_date", DateText(c.due_date.value_or(""))}};
        return r;
    }
    return {"not_found", {}};
}

ActionResult Complaint(const json::object& args, Turn& turn) {
    banking::ComplaintRequest req;
    req.category = Field(args, "category");
    if (req.category.empty()) req.category = "other";
    req.description = Field(args, "description");
    req.channel = std::string(turn.input.channel);
    req.conversation_id = std::string(turn.input.conversation_id);
    req.language = turn.language;
    auto c = turn.bank->CreateComplaint(turn.Call(true, "create_complaint"), turn.customer, req);
    if (!c) return Failed(c.error(), "create_complaint");
    ActionResult r{"done", {}};
    r.vars["complaint"] = json::object{{"reference", c->reference}, {"status", c->status}};
    return r;
}

}  // namespace

std::string FailureOutcome(const Error& e) {
    switch (e.code) {
        case ErrorCode::kUpstreamTimeout:
            return "timeout";
        case ErrorCode::kUnavailable:
            return "unavailable";
        case ErrorCode::kNotFound:
            return "not_found";
        default:
            return "error";
    }
}

ActionResult RunAction(const std::string& action, const json::object& args, Turn& turn) {
    if (turn.bank == nullptr) return {"unavailable", {}};
    ActionResult r;
    if (action == "accounts") {
        r = Accounts(args, turn);
    } else if (action == "transactions" || action == "spending") {
        r = Transactions(args, turn, action == "spending");
    } else if (action == "report_lost" || action == "freeze_card" || action == "unfreeze_card") {
        r = CardAction(action, args, turn);
    } else if (action == "transfer_status") {
        r = TransferStatus(args, turn);
    } else if (action == "card_bill") {
        r = CardBill(args, turn);
    } else if (action == "create_complaint") {
        r = Complaint(args, turn);
    } else {
        r = {"error", {}};
    }
    turn.calls.push_back(action + ":" + r.outcome);
    metrics::Default()
        .GetCounter("kefu_bank_actions_total", "Core-banking actions run by flows, by action and outcome.",
                    metrics::Label("action", action) + "," + metrics::Label("outcome", r.outcome))
        .Inc();
    return r;
}

}  // namespace kefu::flow
