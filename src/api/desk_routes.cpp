// HTTP handlers for sign-in (/api/v1/auth), staff administration (/api/v1/staff), the desk (/api/v1/desk),
// tickets (/api/v1/tickets) and the customer's survey answer (docs/desk.md). Every staff route is registered
// with its roles through AddStaffRoute.

#include "api/desk_routes.hpp"

#include <boost/json.hpp>

#include "api/conversation_json.hpp"
#include "api/json_body.hpp"
#include "core/log.hpp"
#include "storage/async.hpp"

namespace kefu::api {

namespace json = boost::json;
using boost::asio::awaitable;
using net::ErrorResponse;
using net::JsonResponse;
using net::RequestContext;
using net::Response;
using net::http::status;
using net::http::verb;
using storage::sqlite::Connection;

namespace {

const std::vector<std::string> kAllStaff = {"agent", "supervisor", "kb_editor", "analyst", "admin"};
const std::vector<std::string> kDesk = {"agent", "supervisor"};

json::object StaffJson(const StaffMember& m) {
    json::array skills;
    for (const auto& s : m.skills) skills.emplace_back(s);
    json::array languages;
    for (const auto& l : m.languages) languages.emplace_back(l);
    return json::object{{"name", m.name},
                        {"display_name", m.display_name},
                        {"role", m.role},
                        {"skills", std::move(skills)},
                        {"languages", std::move(languages)},
                        {"max_chats", m.max_chats}};
}

Result<std::vector<std::string>> StringList(const json::object& body, std::string_view key,
                                            std::vector<std::string> fallback) {
    const auto* v = body.if_contains(key);
    if (v == nullptr || v->is_null()) return fallback;
    if (!v->is_array()) return Error{ErrorCode::kInvalidArgument, std::string(key) + " must be a list of strings"};
    std::vector<std::string> out;
    for (const auto& x : v->as_array()) {
        if (!x.is_string()) return Error{ErrorCode::kInvalidArgument, std::string(key) + " must be a list of strings"};
        out.emplace_back(x.as_string());
    }
    return out;
}

Result<std::optional<std::int64_t>> OptionalInt(const json::object& body, std::string_view key) {
    const auto* v = body.if_contains(key);
    if (v == nullptr || v->is_null()) return std::optional<std::int64_t>{};
    if (!v->is_int64()) return Error{ErrorCode::kInvalidArgument, std::string(key) + " must be a whole number"};
    return std::optional<std::int64_t>{v->as_int64()};
}

class DeskRoutes {
  public:
    DeskRoutes(DeskService& desk, StaffAuth& auth, storage::sqlite::Database& db, ConversationService& conversations)
        : desk_(desk), auth_(auth), db_(db), conversations_(conversations) {}

    // ---- sign-in ---------------------------------------------------------------------------------------
    awaitable<Response> Login(RequestContext& ctx) {
        auto body = ParseObject(ctx.req.body());
        if (!body) co_return ErrorResponse(ctx, body.error());
        auto name = RequiredString(*body, "name", {1, 64, true, false});
        if (!name) co_return ErrorResponse(ctx, name.error());
        auto password = RequiredString(*body, "password", {1, 1024, false, false});
        if (!password) co_return ErrorResponse(ctx, password.error());
        std::int64_t retry_after = 0;
        auto session = co_await auth_.Login(*name, *password, &retry_after);
        if (!session) {
            json::object extra;
            if (session.error().code == ErrorCode::kLocked) extra["retry_after_s"] = retry_after;
            Response res = ErrorResponse(ctx, session.error(), extra);
            if (retry_after > 0) res.set(net::http::field::retry_after, std::to_string(retry_after));
            co_return res;
        }
        Response res = JsonResponse(ctx, status::ok,
                                    json::object{{"staff", StaffJson(session->staff)},
                                                 {"token", session->token},
                                                 {"expires_at", FormatIsoMillis(session->expires_at)}});
        res.set(net::http::field::set_cookie, auth_.SessionCookie(ctx, session->token));
        res.set(net::http::field::cache_control, "no-store");
        co_return res;
    }

    awaitable<Response> Logout(RequestContext& ctx, const StaffMember& who) {
        if (auto token = StaffAuth::TokenOf(ctx.req)) co_await auth_.Logout(*token);
        if (who.role == "agent" || who.role == "supervisor") {
            (void)co_await desk_.SetPresence(who, desk::Presence::kOffline);
        }
        Response res = JsonResponse(ctx, status::ok, json::object{{"signed_out", true}});
        res.set(net::http::field::set_cookie, auth_.ClearedCookie(ctx));
        co_return res;
    }

    awaitable<Response> Me(RequestContext& ctx, const StaffMember& who) {
        json::object staff = StaffJson(who);
        staff["presence"] = desk::PresenceName(desk_.PresenceOf(who.name));
        co_return JsonResponse(ctx, status::ok, json::object{{"staff", std::move(staff)}});
    }

    // ---- staff administration --------------------------------------------------------------------------
    awaitable<Response> ListStaffRoute(RequestContext& ctx, const StaffMember&) {
        auto staff = co_await storage::Await<std::vector<StaffMember>>([&](auto done) {
            db_.Read<std::vector<StaffMember>>(
                [](Connection& c) -> Result<std::vector<StaffMember>> { return ListStaff(c); }, std::move(done));
        });
        if (!staff) co_return ErrorResponse(ctx, staff.error());
        json::array out;
        for (const auto& m : *staff) out.push_back(StaffJson(m));
        co_return JsonResponse(ctx, status::ok, json::object{{"staff", std::move(out)}});
    }

    awaitable<Response> CreateStaffRoute(RequestContext& ctx, const StaffMember& who) {
        auto body = ParseObject(ctx.req.body());
        if (!body) co_return ErrorResponse(ctx, body.error());
        NewStaff s;
        auto name = RequiredString(*body, "name", {1, 64, true, false});
        if (!name) co_return ErrorResponse(ctx, name.error());
        s.name = *name;
        auto role = RequiredString(*body, "role", {1, 32, true, false});
        if (!role) co_return ErrorResponse(ctx, role.error());
        s.role = *role;
        auto display = OptionalString(*body, "display_name", {0, 64, true, false});
        if (!display) co_return ErrorResponse(ctx, display.error());
        s.display_name = display->value_or("");
        auto skills = StringList(*body, "skills", s.skills);
        if (!skills) co_return ErrorResponse(ctx, skills.error());
        s.skills = *skills;
        auto languages = StringList(*body, "languages", s.languages);
        if (!languages) co_return ErrorResponse(ctx, languages.error());
        s.languages = *languages;
        auto max_chats = OptionalInt(*body, "max_chats");
        if (!max_chats) co_return ErrorResponse(ctx, max_chats.error());
        if (*max_chats) s.max_chats = static_cast<int>(**max_chats);
        if (auto ok = ValidateNewStaff(s); !ok) co_return ErrorResponse(ctx, ok.error());
        auto password = RequiredString(*body, "password", {0, 256, false, false});
        if (!password) co_return ErrorResponse(ctx, password.error());
        if (auto ok = CheckPasswordRules(*password); !ok) co_return ErrorResponse(ctx, ok.error());
        s.password_hash = co_await auth_.Hash(*password);
        auto created = co_await storage::Await<std::string>([&](auto done) {
            db_.Write<std::string>([s](Connection& c) { return CreateStaff(c, s); }, std::move(done));
        });
        if (!created) co_return ErrorResponse(ctx, created.error());
        log::Info("staff member created", {{"staff", s.name}, {"role", s.role}, {"by", who.name}});
        StaffMember m{s.name,   s.role,      s.display_name.empty() ? s.name : s.display_name,
                      s.skills, s.languages, s.max_chats};
        co_return JsonResponse(ctx, status::created, json::object{{"staff", StaffJson(m)}});
    }

    awaitable<Response> UpdateStaffRoute(RequestContext& ctx, const StaffMember& who) {
        auto body = ParseObject(ctx.req.body());
        if (!body) co_return ErrorResponse(ctx, body.error());
        std::string name(ctx.Param("name"));
        auto role = OptionalString(*body, "role", {1, 32, true, false});
        if (!role) co_return ErrorResponse(ctx, role.error());
        if (*role && !ValidStaffRole(**role)) {
            co_return ErrorResponse(ctx, {ErrorCode::kInvalidArgument, "role must be " + std::string(kRolesText)});
        }
        std::optional<bool> disabled;
        if (const auto* d = body->if_contains("disabled"); d && !d->is_null()) {
            if (!d->is_bool())
                co_return ErrorResponse(ctx, {ErrorCode::kInvalidArgument, "disabled must be true or false"});
            disabled = d->as_bool();
        }
        if (disabled && *disabled && name == who.name) {
            co_return ErrorResponse(ctx, {ErrorCode::kInvalidArgument, "you cannot disable yourself"});
        }
        std::optional<std::string> hash;
        auto password = OptionalString(*body, "password", {0, 256, false, false});
        if (!password) co_return ErrorResponse(ctx, password.error());
        if (*password) {
            if (auto ok = CheckPasswordRules(**password); !ok) co_return ErrorResponse(ctx, ok.error());
            hash = co_await auth_.Hash(**password);
        }
        auto updated = co_await storage::Await<StaffMember>([&](auto done) {
            db_.Write<StaffMember>(
                [name, role = *role, disabled, hash](Connection& c) -> Result<StaffMember> {
                    auto current = LoadStaff(c, name);
                    if (!current) return current.error();
                    if (role) c.Prepare("UPDATE staff SET role = ? WHERE name = ?").Bind(1, *role).Bind(2, name).Run();
                    if (disabled) {
                        c.Prepare("UPDATE staff SET disabled = ? WHERE name = ?")
                            .Bind(1, std::int64_t{*disabled ? 1 : 0})
                            .Bind(2, name)
                            .Run();
                        if (*disabled) c.Prepare("DELETE FROM staff_sessions WHERE staff = ?").Bind(1, name).Run();
                    }
                    if (hash) {
                        c.Prepare(
                             "UPDATE staff SET password_hash = ?, failed_logins = 0, locked_until = 0 WHERE name = ?")
                            .Bind(1, *hash)
                            .Bind(2, name)
                            .Run();
                    }
                    return LoadStaff(c, name);
                },
                std::move(done));
        });
        if (!updated) co_return ErrorResponse(ctx, updated.error());
        log::Info("staff member changed", {{"staff", name}, {"by", who.name}});
        co_return JsonResponse(ctx, status::ok, json::object{{"staff", StaffJson(*updated)}});
    }

    // ---- desk ------------------------------------------------------------------------------------------
    awaitable<Response> Presence(RequestContext& ctx, const StaffMember& who) {
        auto body = ParseObject(ctx.req.body());
        if (!body) co_return ErrorResponse(ctx, body.error());
        auto s = OptionalEnum(*body, "status", {"online", "away", "offline"}, "");
        if (!s) co_return ErrorResponse(ctx, s.error());
        if (s->empty())
            co_return ErrorResponse(ctx, {ErrorCode::kInvalidArgument, "status is required: online, away or offline"});
        auto ok = co_await desk_.SetPresence(who, *desk::ParsePresence(*s));
        if (!ok) co_return ErrorResponse(ctx, ok.error());
        co_return JsonResponse(ctx, status::ok, json::object{{"presence", *s}});
    }

    awaitable<Response> Queue(RequestContext& ctx, const StaffMember&) {
        co_return JsonResponse(ctx, status::ok, desk_.QueueJson());
    }

    awaitable<Response> Chats(RequestContext& ctx, const StaffMember& who) {
        bool mine = ctx.Query("mine").value_or("") == "1" || who.role == "agent";
        // Named first: GCC 12 destroys a temporary passed to a coroutine's by-value parameter twice.
        std::string agent = mine ? who.name : std::string();
        auto chats = co_await desk_.ActiveChats(agent);
        if (!chats) co_return ErrorResponse(ctx, chats.error());
        json::array out;
        for (const auto& c : *chats) out.push_back(ToJson(c));
        co_return JsonResponse(ctx, status::ok, json::object{{"chats", std::move(out)}});
    }

    // The chat, if the caller may see it: an agent their own chats and waiting ones; a supervisor any.
    awaitable<Result<DeskChat>> Visible(const RequestContext& ctx, const StaffMember& who) {
        auto chat = co_await desk_.GetChat(std::string(ctx.Param("chat_id")));
        if (!chat) co_return chat.error();
        if (who.role == "supervisor" || chat->status == "queued" || chat->agent == who.name) co_return chat;
        co_return Error{ErrorCode::kNotFound, "no such chat"};
    }

    awaitable<Response> GetChat(RequestContext& ctx, const StaffMember& who) {
        auto chat = co_await Visible(ctx, who);
        if (!chat) co_return ErrorResponse(ctx, chat.error());
        auto context = co_await desk_.Context(*chat);
        if (!context) co_return ErrorResponse(ctx, context.error());
        bool read_only = chat->agent != who.name;
        co_return JsonResponse(
            ctx, status::ok,
            json::object{{"chat", ToJson(*chat)}, {"context", std::move(*context)}, {"read_only", read_only}});
    }

    awaitable<Response> Accept(RequestContext& ctx, const StaffMember& who) {
        auto chat = co_await desk_.Accept(who, std::string(ctx.Param("chat_id")));
        if (!chat) co_return ErrorResponse(ctx, chat.error());
        co_return JsonResponse(ctx, status::ok, json::object{{"chat", ToJson(*chat)}});
    }

    awaitable<Response> Reply(RequestContext& ctx, const StaffMember& who) {
        auto body = ParseObject(ctx.req.body());
        if (!body) co_return ErrorResponse(ctx, body.error());
        auto id = RequiredClientMessageId(*body);
        if (!id) co_return ErrorResponse(ctx, id.error());
        auto text = OptionalString(*body, "text", {1, 4000, true, true});
        if (!text) co_return ErrorResponse(ctx, text.error());
        auto canned = OptionalString(*body, "canned_id", {1, 64, true, false});
        if (!canned) co_return ErrorResponse(ctx, canned.error());
        if (!*text && !*canned)
            co_return ErrorResponse(ctx, {ErrorCode::kInvalidArgument, "text or canned_id is required"});
        std::string message = text->value_or("");
        if (!*text) {
            auto chat = co_await Visible(ctx, who);
            if (!chat) co_return ErrorResponse(ctx, chat.error());
            auto list = co_await desk_.Canned(who, *chat);
            if (!list) co_return ErrorResponse(ctx, list.error());
            for (const auto& c : *list) {
                if (c.as_object().at("id").as_string() == **canned)
                    message = std::string(c.as_object().at("text").as_string());
            }
            if (message.empty())
                co_return ErrorResponse(ctx, {ErrorCode::kInvalidArgument, "canned_id: no such canned response"});
        }
        auto sent = co_await desk_.Reply(who, std::string(ctx.Param("chat_id")), *id, std::move(message));
        if (!sent) co_return ErrorResponse(ctx, sent.error());
        co_return JsonResponse(ctx, status::created, json::object{{"message", ToJson(*sent)}});
    }

    awaitable<Response> Note(RequestContext& ctx, const StaffMember& who) {
        auto body = ParseObject(ctx.req.body());
        if (!body) co_return ErrorResponse(ctx, body.error());
        auto text = RequiredString(*body, "text", {1, 4000, true, true});
        if (!text) co_return ErrorResponse(ctx, text.error());
        auto chat = co_await Visible(ctx, who);
        if (!chat) co_return ErrorResponse(ctx, chat.error());
        auto ok = co_await desk_.AddNote(who, chat->id, *text);
        if (!ok) co_return ErrorResponse(ctx, ok.error());
        co_return JsonResponse(ctx, status::created,
                               json::object{{"note", json::object{{"author", who.name}, {"text", *text}}}});
    }

    awaitable<Response> Transfer(RequestContext& ctx, const StaffMember& who) {
        auto body = ParseObject(ctx.req.body());
        if (!body) co_return ErrorResponse(ctx, body.error());
        auto agent = OptionalString(*body, "agent", {1, 64, true, false});
        if (!agent) co_return ErrorResponse(ctx, agent.error());
        auto skill = OptionalString(*body, "skill", {1, 32, true, false});
        if (!skill) co_return ErrorResponse(ctx, skill.error());
        auto language = OptionalString(*body, "language", {2, 2, true, false});
        if (!language) co_return ErrorResponse(ctx, language.error());
        if (!*agent && !*skill)
            co_return ErrorResponse(ctx, {ErrorCode::kInvalidArgument, "agent or skill is required"});
        if (*skill) {
            auto skills = desk_.Config().AllSkills();
            if (std::find(skills.begin(), skills.end(), **skill) == skills.end()) {
                co_return ErrorResponse(ctx, {ErrorCode::kInvalidArgument, "skill: no such queue"});
            }
        }
        auto chat = co_await desk_.Transfer(who, std::string(ctx.Param("chat_id")), *agent, *skill, *language);
        if (!chat) co_return ErrorResponse(ctx, chat.error());
        co_return JsonResponse(ctx, status::ok, json::object{{"chat", ToJson(*chat)}});
    }

    awaitable<Response> Finish(RequestContext& ctx, const StaffMember& who, bool end) {
        std::optional<std::string> wrap_up;
        if (end) {
            auto body = ParseObject(ctx.req.body());
            if (!body) co_return ErrorResponse(ctx, body.error());
            auto w = RequiredString(*body, "wrap_up", {1, 64, true, false});
            if (!w) co_return ErrorResponse(ctx, w.error());
            wrap_up = *w;
        }
        auto chat = co_await desk_.Finish(who, std::string(ctx.Param("chat_id")), wrap_up);
        if (!chat) co_return ErrorResponse(ctx, chat.error());
        co_return JsonResponse(ctx, status::ok, json::object{{"chat", ToJson(*chat)}});
    }

    awaitable<Response> WrapUpCodes(RequestContext& ctx, const StaffMember&) {
        json::array codes;
        for (const auto& w : desk_.Config().wrap_up_codes) {
            codes.push_back(
                json::object{{"code", w.code}, {"label", json::object{{"zh", w.label.zh}, {"en", w.label.en}}}});
        }
        co_return JsonResponse(ctx, status::ok, json::object{{"codes", std::move(codes)}});
    }

    awaitable<Response> Canned(RequestContext& ctx, const StaffMember& who) {
        auto chat_id = ctx.Query("chat_id");
        if (!chat_id) co_return ErrorResponse(ctx, {ErrorCode::kInvalidArgument, "chat_id is required"});
        auto chat = co_await desk_.GetChat(*chat_id);
        if (!chat || (who.role != "supervisor" && chat->agent != who.name && chat->status != "queued")) {
            co_return ErrorResponse(ctx, {ErrorCode::kNotFound, "no such chat"});
        }
        auto list = co_await desk_.Canned(who, *chat);
        if (!list) co_return ErrorResponse(ctx, list.error());
        co_return JsonResponse(ctx, status::ok, json::object{{"canned", std::move(*list)}});
    }

    awaitable<Response> Overview(RequestContext& ctx, const StaffMember&) {
        json::object o = desk_.Overview();
        auto csat = co_await desk_.CsatReport(0);
        if (csat) o["csat"] = json::object{{"count", csat->at("count")}, {"average", csat->at("average")}};
        co_return JsonResponse(ctx, status::ok, o);
    }

    awaitable<Response> Agents(RequestContext& ctx, const StaffMember&) {
        co_return JsonResponse(ctx, status::ok, desk_.TransferTargets());
    }

    awaitable<Response> Csat(RequestContext& ctx, const StaffMember&) {
        auto limit = IntQuery(ctx, "limit", 50, 1, 500);
        if (!limit) co_return ErrorResponse(ctx, limit.error());
        auto report = co_await desk_.CsatReport(static_cast<int>(*limit));
        if (!report) co_return ErrorResponse(ctx, report.error());
        co_return JsonResponse(ctx, status::ok, *report);
    }

    // ---- the customer's survey answer (the conversation's own token) -----------------------------------
    awaitable<Response> SubmitCsat(RequestContext& ctx) {
        std::string id(ctx.Param("id"));
        auto ref = co_await conversations_.Authorize(id, ctx.BearerToken());
        if (!ref) co_return ErrorResponse(ctx, ref.error());
        auto body = ParseObject(ctx.req.body());
        if (!body) co_return ErrorResponse(ctx, body.error());
        auto chat_id = RequiredString(*body, "chat_id", {1, 64, true, false});
        if (!chat_id) co_return ErrorResponse(ctx, chat_id.error());
        const auto* score = body->if_contains("score");
        if (score == nullptr || !score->is_int64() || score->as_int64() < 1 || score->as_int64() > 5) {
            co_return ErrorResponse(ctx, {ErrorCode::kInvalidArgument, "score must be a whole number from 1 to 5"});
        }
        auto comment = OptionalString(*body, "comment", {0, 1000, true, true});
        if (!comment) co_return ErrorResponse(ctx, comment.error());
        std::string text = comment->value_or("");
        auto ok = co_await desk_.SubmitCsat(id, *chat_id, static_cast<int>(score->as_int64()), std::move(text));
        if (!ok) co_return ErrorResponse(ctx, ok.error());
        co_return JsonResponse(ctx, status::created, json::object{{"chat_id", *chat_id}, {"score", score->as_int64()}});
    }

    // A reloaded widget asks whether a survey is still owed.
    awaitable<Response> PendingCsat(RequestContext& ctx) {
        std::string id(ctx.Param("id"));
        auto ref = co_await conversations_.Authorize(id, ctx.BearerToken());
        if (!ref) co_return ErrorResponse(ctx, ref.error());
        auto pending = co_await desk_.PendingCsat(id);
        if (!pending) co_return ErrorResponse(ctx, pending.error());
        json::value p = nullptr;
        if (pending->has_value()) {
            const auto& v = pending->value();
            p = json::object{{"chat_id", v.chat_id},
                             {"agent", json::object{{"display_name", v.agent_display_name}}},
                             {"ended_at", FormatIsoMillis(v.ended_at)}};
        }
        co_return JsonResponse(ctx, status::ok, json::object{{"pending", std::move(p)}});
    }

    // ---- tickets ---------------------------------------------------------------------------------------
    awaitable<Response> CreateTicket(RequestContext& ctx, const StaffMember& who) {
        auto body = ParseObject(ctx.req.body());
        if (!body) co_return ErrorResponse(ctx, body.error());
        NewTicket t;
        auto type =
            OptionalEnum(*body, "type", {"complaint", "callback", "card", "transfer", "account", "other"}, "other");
        if (!type) co_return ErrorResponse(ctx, type.error());
        t.type = *type;
        auto priority = OptionalEnum(*body, "priority", {"low", "normal", "high", "urgent"}, "normal");
        if (!priority) co_return ErrorResponse(ctx, priority.error());
        t.priority = *priority;
        auto subject = RequiredString(*body, "subject", {1, 200, true, false});
        if (!subject) co_return ErrorResponse(ctx, subject.error());
        t.subject = *subject;
        auto description = OptionalString(*body, "description", {0, 4000, true, true});
        if (!description) co_return ErrorResponse(ctx, description.error());
        t.description = description->value_or("");
        auto customer = OptionalString(*body, "customer_ref", {1, 64, true, false});
        if (!customer) co_return ErrorResponse(ctx, customer.error());
        t.customer_ref = *customer;
        auto conversation = OptionalString(*body, "conversation_id", {1, 64, true, false});
        if (!conversation) co_return ErrorResponse(ctx, conversation.error());
        t.conversation_id = *conversation;
        auto complaint = OptionalString(*body, "complaint_ref", {1, 64, true, false});
        if (!complaint) co_return ErrorResponse(ctx, complaint.error());
        t.complaint_ref = *complaint;
        auto assignee = OptionalString(*body, "assignee", {1, 64, true, false});
        if (!assignee) co_return ErrorResponse(ctx, assignee.error());
        t.assignee = *assignee;
        t.source = "agent";
        auto created = co_await desk_.CreateTicket(who.name, std::move(t));
        if (!created) co_return ErrorResponse(ctx, created.error());
        Response res = JsonResponse(ctx, status::created, json::object{{"ticket", ToJson(*created)}});
        res.set(net::http::field::location, "/api/v1/tickets/" + created->id);
        co_return res;
    }

    awaitable<Response> ListTickets(RequestContext& ctx, const StaffMember&) {
        TicketFilter f;
        f.status = ctx.Query("status").value_or("");
        if (!f.status.empty() && f.status != "all" && f.status != "new" && f.status != "open" &&
            f.status != "pending" && f.status != "resolved" && f.status != "closed") {
            co_return ErrorResponse(
                ctx, {ErrorCode::kInvalidArgument, "status must be new, open, pending, resolved, closed or all"});
        }
        f.assignee = ctx.Query("assignee").value_or("");
        f.breached_only = ctx.Query("breached").value_or("") == "1";
        f.customer_ref = ctx.Query("customer_ref").value_or("");
        f.conversation_id = ctx.Query("conversation_id").value_or("");
        const std::string sort = ctx.Query("sort").value_or("due");
        if (sort != "due" && sort != "created") {
            co_return ErrorResponse(ctx, {ErrorCode::kInvalidArgument, "sort must be due or created"});
        }
        f.newest_first = sort == "created";
        if (f.customer_ref.size() > 64 || f.conversation_id.size() > 64) {
            co_return ErrorResponse(
                ctx, {ErrorCode::kInvalidArgument, "customer_ref and conversation_id are at most 64 bytes"});
        }
        auto limit = IntQuery(ctx, "limit", 50, 1, 500);
        if (!limit) co_return ErrorResponse(ctx, limit.error());
        f.limit = static_cast<int>(*limit);
        auto list = co_await desk_.ListTickets(f);
        if (!list) co_return ErrorResponse(ctx, list.error());
        json::array out;
        for (const auto& t : *list) out.push_back(ToJson(t));
        co_return JsonResponse(ctx, status::ok, json::object{{"tickets", std::move(out)}});
    }

    awaitable<Response> GetTicket(RequestContext& ctx, const StaffMember&) {
        auto t = co_await desk_.GetTicket(std::string(ctx.Param("id")));
        if (!t) co_return ErrorResponse(ctx, t.error());
        co_return JsonResponse(ctx, status::ok, *t);
    }

    awaitable<Response> UpdateTicket(RequestContext& ctx, const StaffMember& who) {
        auto body = ParseObject(ctx.req.body());
        if (!body) co_return ErrorResponse(ctx, body.error());
        TicketChange change;
        auto s = OptionalEnum(*body, "status", {"new", "open", "pending", "resolved", "closed"}, "");
        if (!s) co_return ErrorResponse(ctx, s.error());
        if (!s->empty()) change.status = *s;
        auto p = OptionalEnum(*body, "priority", {"low", "normal", "high", "urgent"}, "");
        if (!p) co_return ErrorResponse(ctx, p.error());
        if (!p->empty()) change.priority = *p;
        if (const auto* a = body->if_contains("assignee")) {
            if (a->is_null()) {
                change.assignee = std::optional<std::string>{};
            } else if (a->is_string() && !a->as_string().empty() && a->as_string().size() <= 64) {
                change.assignee = std::optional<std::string>{std::string(a->as_string())};
            } else {
                co_return ErrorResponse(ctx, {ErrorCode::kInvalidArgument, "assignee must be a staff name or null"});
            }
        }
        auto t = co_await desk_.UpdateTicket(who.name, std::string(ctx.Param("id")), change);
        if (!t) co_return ErrorResponse(ctx, t.error());
        co_return JsonResponse(ctx, status::ok, json::object{{"ticket", ToJson(*t)}});
    }

    awaitable<Response> CommentTicket(RequestContext& ctx, const StaffMember& who) {
        auto body = ParseObject(ctx.req.body());
        if (!body) co_return ErrorResponse(ctx, body.error());
        auto text = RequiredString(*body, "text", {1, 4000, true, true});
        if (!text) co_return ErrorResponse(ctx, text.error());
        const auto* pub = body->if_contains("public");
        if (pub != nullptr && !pub->is_bool()) {
            co_return ErrorResponse(ctx, {ErrorCode::kInvalidArgument, "public must be true or false"});
        }
        auto t = co_await desk_.CommentTicket(who.name, who.display_name, std::string(ctx.Param("id")), *text,
                                              pub != nullptr && pub->as_bool());
        if (!t) co_return ErrorResponse(ctx, t.error());
        co_return JsonResponse(ctx, status::created,
                               json::object{{"ticket", ToJson(t->ticket)}, {"delivered", t->delivered}});
    }

  private:
    DeskService& desk_;
    StaffAuth& auth_;
    storage::sqlite::Database& db_;
    ConversationService& conversations_;
};

}  // namespace

void AddDeskRoutes(net::Router& router, RoleTable& roles, DeskService& desk, StaffAuth& auth,
                   storage::sqlite::Database& db, ConversationService& conversations) {
    auto r = std::make_shared<DeskRoutes>(desk, auth, db, conversations);
    auto staff = [&](verb method, const std::string& pattern, const std::vector<std::string>& allowed, auto member) {
        AddStaffRoute(router, roles, auth, method, pattern, allowed,
                      [r, member](RequestContext& ctx, const StaffMember& who) { return ((*r).*member)(ctx, who); });
    };
    router.Add(verb::post, "/api/v1/auth/login", [r](RequestContext& ctx) { return r->Login(ctx); });
    staff(verb::post, "/api/v1/auth/logout", kAllStaff, &DeskRoutes::Logout);
    staff(verb::get, "/api/v1/auth/me", kAllStaff, &DeskRoutes::Me);

    const std::vector<std::string> admin = {"admin"};
    staff(verb::get, "/api/v1/staff", admin, &DeskRoutes::ListStaffRoute);
    staff(verb::post, "/api/v1/staff", admin, &DeskRoutes::CreateStaffRoute);
    staff(verb::patch, "/api/v1/staff/{name}", admin, &DeskRoutes::UpdateStaffRoute);

    const std::string d = "/api/v1/desk";
    staff(verb::put, d + "/presence", kDesk, &DeskRoutes::Presence);
    staff(verb::get, d + "/queue", kDesk, &DeskRoutes::Queue);
    staff(verb::get, d + "/chats", kDesk, &DeskRoutes::Chats);
    staff(verb::get, d + "/chats/{chat_id}", kDesk, &DeskRoutes::GetChat);
    staff(verb::post, d + "/chats/{chat_id}/accept", kDesk, &DeskRoutes::Accept);
    staff(verb::post, d + "/chats/{chat_id}/messages", kDesk, &DeskRoutes::Reply);
    staff(verb::post, d + "/chats/{chat_id}/notes", kDesk, &DeskRoutes::Note);
    staff(verb::post, d + "/chats/{chat_id}/transfer", kDesk, &DeskRoutes::Transfer);
    AddStaffRoute(router, roles, auth, verb::post, d + "/chats/{chat_id}/return", kDesk,
                  [r](RequestContext& ctx, const StaffMember& who) { return r->Finish(ctx, who, false); });
    AddStaffRoute(router, roles, auth, verb::post, d + "/chats/{chat_id}/end", kDesk,
                  [r](RequestContext& ctx, const StaffMember& who) { return r->Finish(ctx, who, true); });
    staff(verb::get, d + "/wrap-up-codes", kDesk, &DeskRoutes::WrapUpCodes);
    staff(verb::get, d + "/canned", kDesk, &DeskRoutes::Canned);
    staff(verb::get, d + "/agents", kDesk, &DeskRoutes::Agents);
    staff(verb::get, d + "/overview", {"supervisor"}, &DeskRoutes::Overview);
    staff(verb::get, d + "/csat", {"supervisor", "analyst"}, &DeskRoutes::Csat);

    staff(verb::post, "/api/v1/tickets", kDesk, &DeskRoutes::CreateTicket);
    staff(verb::get, "/api/v1/tickets", kDesk, &DeskRoutes::ListTickets);
    staff(verb::get, "/api/v1/tickets/{id}", kDesk, &DeskRoutes::GetTicket);
    staff(verb::patch, "/api/v1/tickets/{id}", kDesk, &DeskRoutes::UpdateTicket);
    staff(verb::post, "/api/v1/tickets/{id}/comments", kDesk, &DeskRoutes::CommentTicket);

    router.Add(verb::post, "/api/v1/conversations/{id}/csat", [r](RequestContext& ctx) { return r->SubmitCsat(ctx); });
    router.Add(verb::get, "/api/v1/conversations/{id}/csat", [r](RequestContext& ctx) { return r->PendingCsat(ctx); });
}

}  // namespace kefu::api
