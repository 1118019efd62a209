// HTTP handlers for /api/v1/kb (docs/kb.md): parse and validate, check the staff role, run the store
// operation through KbService, map errors. The lifecycle rules live in kb/store.cpp.

#include <array>
#include <boost/json.hpp>

#include "api/json_body.hpp"
#include "api/routes.hpp"
#include "core/clock.hpp"
#include "core/ids.hpp"
#include "kb/gaps.hpp"
#include "kb/import.hpp"

namespace kefu::api {

namespace json = boost::json;
using boost::asio::awaitable;
using net::ErrorResponse;
using net::JsonResponse;
using net::RequestContext;
using net::Response;
using net::http::status;
using storage::sqlite::Connection;

namespace {

Result<std::int64_t> VersionField(const json::object& o, std::string_view key = "version") {
    auto it = o.find(key);
    if (it == o.end() || !it->value().is_int64() || it->value().as_int64() < 1) {
        return Error{ErrorCode::kInvalidArgument, std::string(key) + " is required: the entry version you last read"};
    }
    return it->value().as_int64();
}

bool TruthyQuery(const RequestContext& ctx, std::string_view name) {
    auto v = ctx.Query(name);
    return v && (*v == "true" || *v == "1" || v->empty());
}

class KbRoutes {
  public:
    KbRoutes(kb::KbService& kb, StaffAuth& staff) : kb_(kb), staff_(staff) {}

    awaitable<Response> List(RequestContext& ctx) {
        auto who = co_await Who(ctx);
        if (!who) co_return ErrorResponse(ctx, who.error());
        kb::ListFilter f;
        f.q = ctx.Query("q").value_or("");
        f.status = ctx.Query("status").value_or("");
        if (!f.status.empty() && f.status != "all" && f.status != kb::kDraft && f.status != kb::kInReview &&
            f.status != kb::kPublished && f.status != kb::kArchived) {
            co_return ErrorResponse(
                ctx, {ErrorCode::kInvalidArgument, "status must be draft, in_review, published, archived or all"});
        }
        f.category = ctx.Query("category").value_or("");
        f.language = ctx.Query("lang").value_or("");
        if (!f.language.empty() && f.language != "zh" && f.language != "en") {
            co_return ErrorResponse(ctx, {ErrorCode::kInvalidArgument, "lang must be zh or en"});
        }
        auto limit = IntQuery(ctx, "limit", 50, 1, 200);
        if (!limit) co_return ErrorResponse(ctx, limit.error());
        auto offset = IntQuery(ctx, "offset", 0, 0, 1'000'000);
        if (!offset) co_return ErrorResponse(ctx, offset.error());
        f.limit = static_cast<int>(*limit);
        f.offset = static_cast<int>(*offset);
        kb::KbService::Op<kb::EntryPage> page_op = [f](Connection& c) { return kb::ListEntries(c, f); };
        auto page = co_await kb_.Read(page_op);
        if (!page) co_return ErrorResponse(ctx, page.error());
        json::array entries;
        for (const auto& e : page->entries) entries.push_back(kb::EntryToJson(e));
        co_return JsonResponse(ctx, status::ok, json::object{{"entries", std::move(entries)}, {"total", page->total}});
    }

    awaitable<Response> Create(RequestContext& ctx) {
        auto who = co_await Who(ctx);
        if (!who) co_return ErrorResponse(ctx, who.error());
        auto body = ParseObject(ctx.req.body());
        if (!body) co_return ErrorResponse(ctx, body.error());
        auto entry = kb::BodyFromJson(*body);
        if (!entry) co_return ErrorResponse(ctx, entry.error());
        std::string id;
        if (auto it = body->find("id"); it != body->end() && !it->value().is_null()) {
            if (!it->value().is_string())
                co_return ErrorResponse(ctx, {ErrorCode::kInvalidArgument, "id must be a string"});
            id = std::string(it->value().as_string());
        } else {
            id =
                (entry->category.empty() || !kb::ValidEntryId(entry->category) ? std::string("entry") : entry->category)
                    .substr(0, 40) +
                "-" + Sha256Hex(NewSecretToken()).substr(0, 8);
        }
        kb::KbService::Op<kb::Entry> created_op =

            [id, b = std::move(*entry), actor = who->name](Connection& c) {
                return kb::CreateEntry(c, id, b, actor, NowMillis());
            };
        auto created = co_await kb_.Write(created_op);
        if (!created) co_return ErrorResponse(ctx, created.error());
        Response res = JsonResponse(ctx, status::created, kb::EntryToJson(*created));
        res.set(net::http::field::location, "/api/v1/kb/entries/" + created->id);
        co_return res;
    }

    awaitable<Response> Get(RequestContext& ctx) {
        auto who = co_await Who(ctx);
        if (!who) co_return ErrorResponse(ctx, who.error());
        std::string id(ctx.Param("id"));
        kb::KbService::Op<kb::Entry> e_op = [id](Connection& c) { return kb::GetEntry(c, id); };
        auto e = co_await kb_.Read(e_op);
        if (!e) co_return ErrorResponse(ctx, e.error());
        co_return JsonResponse(ctx, status::ok, kb::EntryToJson(*e));
    }

    awaitable<Response> Update(RequestContext& ctx) {
        auto who = co_await Who(ctx);
        if (!who) co_return ErrorResponse(ctx, who.error());
        auto body = ParseObject(ctx.req.body());
        if (!body) co_return ErrorResponse(ctx, body.error());
        auto version = VersionField(*body);
        if (!version) co_return ErrorResponse(ctx, version.error());
        auto entry = kb::BodyFromJson(*body);
        if (!entry) co_return ErrorResponse(ctx, entry.error());
        std::string id(ctx.Param("id"));
        kb::KbService::Op<kb::Entry> saved_op = [id, v = *version, b = std::move(*entry),
                                                 actor = who->name](Connection& c) {
            return kb::UpdateEntry(c, id, v, b, actor, NowMillis());
        };
        auto saved = co_await kb_.Write(saved_op);
        co_return co_await Reply(ctx, id, saved);
    }

    awaitable<Response> Archive(RequestContext& ctx) {
        auto who = co_await Who(ctx);
        if (!who) co_return ErrorResponse(ctx, who.error());
        auto version = IntQuery(ctx, "version", 0, 1, INT64_MAX);
        if (!version || *version == 0) {
            co_return ErrorResponse(ctx, {ErrorCode::kInvalidArgument,
                                          "the query parameter version is required: the entry version you last read"});
        }
        kb::TransitionOptions none;
        co_return co_await Move(ctx, *who, *version, kb::Transition::kArchive, none);
    }

    awaitable<Response> Transition(RequestContext& ctx, kb::Transition t) {
        auto who = co_await Who(ctx);
        if (!who) co_return ErrorResponse(ctx, who.error());
        auto body = ParseObject(ctx.req.body().empty() ? std::string_view("{}") : std::string_view(ctx.req.body()));
        if (!body) co_return ErrorResponse(ctx, body.error());
        auto version = VersionField(*body);
        if (!version) co_return ErrorResponse(ctx, version.error());
        kb::TransitionOptions o;
        o.four_eyes = kb_.options().four_eyes;
        auto comment = OptionalString(*body, "comment", {0, 1000, true, true});
        if (!comment) co_return ErrorResponse(ctx, comment.error());
        if (*comment) o.comment = **comment;
        co_return co_await Move(ctx, *who, *version, t, o);
    }

    awaitable<Response> Rollback(RequestContext& ctx) {
        auto who = co_await Who(ctx);
        if (!who) co_return ErrorResponse(ctx, who.error());
        auto body = ParseObject(ctx.req.body());
        if (!body) co_return ErrorResponse(ctx, body.error());
        auto version = VersionField(*body);
        if (!version) co_return ErrorResponse(ctx, version.error());
        auto to = VersionField(*body, "to_version");
        if (!to) co_return ErrorResponse(ctx, to.error());
        std::string id(ctx.Param("id"));
        kb::KbService::Op<kb::Entry> saved_op = [id, v = *version, to = *to, actor = who->name](Connection& c) {
            return kb::RollbackEntry(c, id, v, to, actor, NowMillis());
        };
        auto saved = co_await kb_.Write(saved_op);
        co_return co_await Reply(ctx, id, saved);
    }

    awaitable<Response> History(RequestContext& ctx) {
        auto who = co_await Who(ctx);
        if (!who) co_return ErrorResponse(ctx, who.error());
        std::string id(ctx.Param("id"));
        kb::KbService::Op<std::vector<kb::VersionRecord>> h_op = [id](Connection& c) { return kb::History(c, id); };
        auto h = co_await kb_.Read(h_op);
        if (!h) co_return ErrorResponse(ctx, h.error());
        json::array versions;
        for (const auto& v : *h) versions.push_back(kb::VersionToJson(v));
        co_return JsonResponse(ctx, status::ok, json::object{{"id", id}, {"versions", std::move(versions)}});
    }

    awaitable<Response> Audit(RequestContext& ctx) {
        auto who = co_await Who(ctx);
        if (!who) co_return ErrorResponse(ctx, who.error());
        auto limit = IntQuery(ctx, "limit", 100, 1, 1000);
        if (!limit) co_return ErrorResponse(ctx, limit.error());
        std::string entry = ctx.Query("entry").value_or("");
        kb::KbService::Op<std::vector<kb::AuditEvent>> events_op =

            [entry, n = static_cast<int>(*limit)](Connection& c) { return kb::ListAudit(c, entry, n); };
        auto events = co_await kb_.Read(events_op);
        if (!events) co_return ErrorResponse(ctx, events.error());
        json::array out;
        for (const auto& e : *events) {
            json::value detail;
            boost::system::error_code ec;
            detail = json::parse(e.detail, ec);
            out.push_back(json::object{{"seq", e.seq},
                                       {"at", FormatIsoMillis(e.at)},
                                       {"actor", e.actor},
                                       {"action", e.action},
                                       {"entry_id", e.entry_id},
                                       {"version", e.version},
                                       {"detail", ec ? json::value(json::object{}) : detail}});
        }
        co_return JsonResponse(ctx, status::ok, json::object{{"events", std::move(out)}});
    }

    awaitable<Response> Query(RequestContext& ctx) {
        auto who = co_await Who(ctx);
        if (!who) co_return ErrorResponse(ctx, who.error());
        auto body = ParseObject(ctx.req.body());
        if (!body) co_return ErrorResponse(ctx, body.error());
        auto text = RequiredString(*body, "text", {1, 2000, true, true});
        if (!text) co_return ErrorResponse(ctx, text.error());
        auto lang = OptionalEnum(*body, "lang", {"zh", "en"}, "zh");
        if (!lang) co_return ErrorResponse(ctx, lang.error());
        auto channel = OptionalEnum(*body, "channel", {"web", "app", "wechat", "sms", "voice"}, "web");
        if (!channel) co_return ErrorResponse(ctx, channel.error());
        std::int64_t top = 3;
        if (auto it = body->find("top"); it != body->end()) {
            if (!it->value().is_int64() || it->value().as_int64() < 1 || it->value().as_int64() > 20) {
                co_return ErrorResponse(ctx, {ErrorCode::kInvalidArgument, "top must be an integer from 1 to 20"});
            }
            top = it->value().as_int64();
        }
        auto index = kb_.index();
        if (!index) co_return ErrorResponse(ctx, {ErrorCode::kUnavailable, "the knowledge base is loading"});
        kb::SearchOptions o;
        o.language = *lang;
        o.channel = *channel;
        o.top = static_cast<int>(top);
        co_return JsonResponse(ctx, status::ok, kb::SearchResultToJson(index->Search(*text, o)));
    }

    awaitable<Response> Import(RequestContext& ctx) {
        auto who = co_await Who(ctx);
        if (!who) co_return ErrorResponse(ctx, who.error());
        auto format_name = ctx.Query("format");
        std::optional<kb::FileFormat> format;
        if (format_name) {
            format = kb::ParseFormat(*format_name);
        } else {
            auto ct = ctx.req.find(net::http::field::content_type);
            std::string_view type =
                ct == ctx.req.end() ? std::string_view() : std::string_view(ct->value().data(), ct->value().size());
            if (type.starts_with("text/csv")) format = kb::FileFormat::kCsv;
            if (type.starts_with("application/json")) format = kb::FileFormat::kJson;
            if (type.starts_with("application/yaml") || type.starts_with("text/yaml")) format = kb::FileFormat::kYaml;
        }
        if (!format) {
            co_return ErrorResponse(ctx,
                                    {ErrorCode::kInvalidArgument,
                                     "format must be csv, json or yaml (query parameter format, or Content-Type)"});
        }
        bool publish = TruthyQuery(ctx, "publish");
        bool dry_run = TruthyQuery(ctx, "dry_run");
        auto parsed = kb::ParseImport(ctx.req.body(), *format);
        if (!parsed.problems.empty()) co_return ImportInvalid(ctx, parsed.problems);
        kb::KbService::Op<kb::ImportCounts> counts_op =

            [items = std::move(parsed.items), publish, dry_run, actor = who->name](Connection& c) {
                return kb::ImportEntries(c, items, publish, actor, NowMillis(), dry_run);
            };
        auto counts = co_await kb_.Write(counts_op);
        if (!counts) co_return ErrorResponse(ctx, counts.error());
        co_return JsonResponse(ctx, status::ok,
                               json::object{{"created", counts->created},
                                            {"updated", counts->updated},
                                            {"unchanged", counts->unchanged},
                                            {"published", counts->published},
                                            {"dry_run", dry_run}});
    }

    awaitable<Response> Export(RequestContext& ctx) {
        auto who = co_await Who(ctx);
        if (!who) co_return ErrorResponse(ctx, who.error());
        auto format = kb::ParseFormat(ctx.Query("format").value_or("json"));
        if (!format) co_return ErrorResponse(ctx, {ErrorCode::kInvalidArgument, "format must be csv, json or yaml"});
        std::string st = ctx.Query("status").value_or(std::string(kb::kPublished));
        if (st != "all" && st != kb::kDraft && st != kb::kInReview && st != kb::kPublished && st != kb::kArchived) {
            co_return ErrorResponse(
                ctx, {ErrorCode::kInvalidArgument, "status must be draft, in_review, published, archived or all"});
        }
        kb::KbService::Op<std::vector<kb::Entry>> entries_op = [st](Connection& c) { return kb::LoadForExport(c, st); };
        auto entries = co_await kb_.Read(entries_op);
        if (!entries) co_return ErrorResponse(ctx, entries.error());
        static constexpr std::string_view kTypes[] = {"text/csv; charset=utf-8", "application/json",
                                                      "application/yaml; charset=utf-8"};
        static constexpr std::string_view kExt[] = {"csv", "json", "yaml"};
        auto i = static_cast<std::size_t>(*format);
        Response res = net::TextResponse(ctx, status::ok, kTypes[i], kb::Export(*entries, *format));
        res.set(net::http::field::content_disposition, "attachment; filename=\"kb." + std::string(kExt[i]) + "\"");
        res.set("X-Request-Id", ctx.request_id);
        co_return res;
    }

    awaitable<Response> Gaps(RequestContext& ctx) {
        auto who = co_await Who(ctx);
        if (!who) co_return ErrorResponse(ctx, who.error());
        auto days = IntQuery(ctx, "days", 30, 1, 90);
        if (!days) co_return ErrorResponse(ctx, days.error());
        auto limit = IntQuery(ctx, "limit", 20, 1, 100);
        if (!limit) co_return ErrorResponse(ctx, limit.error());
        std::int64_t since = NowMillis() - *days * 86'400'000;
        kb::KbService::Op<std::vector<kb::Gap>> gaps_op = [since](Connection& c) {
            return kb::GapsSince(c, since, 5000);
        };
        auto gaps = co_await kb_.Read(gaps_op);
        if (!gaps) co_return ErrorResponse(ctx, gaps.error());
        auto clusters = kb::ClusterGaps(*gaps, kb_.normaliser(), static_cast<std::size_t>(*limit));
        json::array out;
        for (const auto& c : clusters) out.push_back(kb::GapClusterToJson(c));
        co_return JsonResponse(
            ctx, status::ok,
            json::object{{"clusters", std::move(out)}, {"total", static_cast<std::int64_t>(gaps->size())}});
    }

  private:
    // Every knowledge-base endpoint is for knowledge editors and admins.
    awaitable<Result<StaffMember>> Who(const RequestContext& ctx) {
        static constexpr std::array<std::string_view, 2> kRoles{"kb_editor", "admin"};
        co_return co_await staff_.Require(ctx, kRoles);
    }

    static Response ImportInvalid(const RequestContext& ctx, const std::vector<kb::ImportProblem>& problems) {
        json::array errors;
        for (const auto& p : problems) errors.push_back(json::object{{"line", p.line}, {"message", p.message}});
        std::string first = problems.front().line > 0 ? "line " + std::to_string(problems.front().line) + ": " : "";
        return ErrorResponse(ctx,
                             {ErrorCode::kImportInvalid, std::to_string(problems.size()) +
                                                             " problem(s); nothing was imported. First: " + first +
                                                             problems.front().message},
                             json::object{{"errors", std::move(errors)}});
    }

    awaitable<Response> Move(RequestContext& ctx, const StaffMember& who, std::int64_t version, kb::Transition t,
                             const kb::TransitionOptions& o) {
        std::string id(ctx.Param("id"));
        kb::KbService::Op<kb::Entry> moved_op = [id, version, t, o, actor = who.name](Connection& c) {
            return kb::TransitionEntry(c, id, version, t, actor, NowMillis(), o);
        };
        auto moved = co_await kb_.Write(moved_op);
        co_return co_await Reply(ctx, id, moved);
    }

    // The entry, or the error; a conflict carries the entry's current version and status.
    awaitable<Response> Reply(RequestContext& ctx, const std::string& id, const Result<kb::Entry>& r) {
        if (r) co_return JsonResponse(ctx, status::ok, kb::EntryToJson(r.value()));
        if (r.error().code != ErrorCode::kConflict) co_return ErrorResponse(ctx, r.error());
        kb::KbService::Op<kb::Entry> now_op = [id](Connection& c) { return kb::GetEntry(c, id); };
        auto now = co_await kb_.Read(now_op);
        json::object extra;
        if (now) {
            extra["current_version"] = now->version;
            extra["current_status"] = now->status;
        }
        co_return ErrorResponse(ctx, r.error(), extra);
    }

    kb::KbService& kb_;
    StaffAuth& staff_;
};

}  // namespace

void AddKbRoutes(net::Router& router, kb::KbService& kb, StaffAuth& staff, RoleTable& roles) {
    auto r = std::make_shared<KbRoutes>(kb, staff);
    using net::http::verb;
    const std::string base = "/api/v1/kb";
    router.Add(verb::get, base + "/entries", [r](RequestContext& ctx) { return r->List(ctx); });
    router.Add(verb::post, base + "/entries", [r](RequestContext& ctx) { return r->Create(ctx); });
    router.Add(verb::get, base + "/entries/{id}", [r](RequestContext& ctx) { return r->Get(ctx); });
    router.Add(verb::put, base + "/entries/{id}", [r](RequestContext& ctx) { return r->Update(ctx); });
    router.Add(verb::delete_, base + "/entries/{id}", [r](RequestContext& ctx) { return r->Archive(ctx); });
    router.Add(verb::post, base + "/entries/{id}/submit",
               [r](RequestContext& ctx) { return r->Transition(ctx, kb::Transition::kSubmit); });
    router.Add(verb::post, base + "/entries/{id}/approve",
               [r](RequestContext& ctx) { return r->Transition(ctx, kb::Transition::kApprove); });
    router.Add(verb::post, base + "/entries/{id}/reject",
               [r](RequestContext& ctx) { return r->Transition(ctx, kb::Transition::kReject); });
    router.Add(verb::post, base + "/entries/{id}/rollback", [r](RequestContext& ctx) { return r->Rollback(ctx); });
    router.Add(verb::get, base + "/entries/{id}/history", [r](RequestContext& ctx) { return r->History(ctx); });
    router.Add(verb::get, base + "/audit", [r](RequestContext& ctx) { return r->Audit(ctx); });
    router.Add(verb::post, base + "/query", [r](RequestContext& ctx) { return r->Query(ctx); });
    router.Add(verb::post, base + "/import", [r](RequestContext& ctx) { return r->Import(ctx); });
    router.Add(verb::get, base + "/export", [r](RequestContext& ctx) { return r->Export(ctx); });
    router.Add(verb::get, base + "/gaps", [r](RequestContext& ctx) { return r->Gaps(ctx); });
    // Every route above checks KbRoutes::Who's roles; the role table says so for the matrix test and docs.
    for (const auto& route : router.routes()) {
        if (route.pattern.starts_with(base)) roles.Declare(route.method, route.pattern, {"kb_editor", "admin"});
    }
}

}  // namespace kefu::api
