// HTTP handlers for /api/v1/conversations: parse and validate, call ConversationService, map errors.

#include <boost/json.hpp>
#include <ctime>

#include "api/conversation_json.hpp"
#include "api/json_body.hpp"
#include "api/routes.hpp"

namespace kefu::api {

namespace json = boost::json;
using boost::asio::awaitable;
using net::ErrorResponse;
using net::JsonResponse;
using net::RequestContext;
using net::Response;
using net::http::status;

namespace {

awaitable<Response> CreateConversation(ConversationService& svc, RequestContext& ctx) {
    auto body = ParseObject(ctx.req.body());
    if (!body) co_return ErrorResponse(ctx, body.error());
    CreateConversationRequest req;
    auto channel = OptionalEnum(*body, "channel", {"web", "app", "wechat", "sms", "voice"}, "web");
    if (!channel) co_return ErrorResponse(ctx, channel.error());
    auto language = OptionalEnum(*body, "language", {"zh", "en"}, "zh");
    if (!language) co_return ErrorResponse(ctx, language.error());
    auto customer_ref = OptionalString(*body, "customer_ref", {1, 64, true, false});
    if (!customer_ref) co_return ErrorResponse(ctx, customer_ref.error());
    req.channel = std::move(channel.value());
    req.language = std::move(language.value());
    if (auto token = ctx.BearerToken()) {
        auto claims = svc.tokens().Verify(*token, static_cast<long long>(std::time(nullptr)));
        if (!claims)
            co_return ErrorResponse(ctx, {ErrorCode::kUnauthorized, "the customer token is invalid or expired"});
        if (customer_ref.value() && *customer_ref.value() != claims->customer_ref) {
            co_return ErrorResponse(ctx,
                                    {ErrorCode::kInvalidArgument, "customer_ref does not match the customer token"});
        }
        req.customer_ref = claims->customer_ref;
    } else if (customer_ref.value()) {
        co_return ErrorResponse(ctx, {ErrorCode::kInvalidArgument, "customer_ref requires a signed customer token"});
    }
    auto created = co_await svc.Create(std::move(req));
    if (!created) co_return ErrorResponse(ctx, created.error());
    json::object out{{"conversation", ToJson(created->conversation)},
                     {"access_token", created->access_token},
                     {"messages", ToJson(created->messages)}};
    Response res = JsonResponse(ctx, status::created, out);
    res.set(net::http::field::location, "/api/v1/conversations/" + created->conversation.id);
    co_return res;
}

awaitable<Response> GetConversation(ConversationService& svc, RequestContext& ctx) {
    std::string id(ctx.Param("id"));
    auto ref = co_await svc.Authorize(id, ctx.BearerToken());
    if (!ref) co_return ErrorResponse(ctx, ref.error());
    auto rec = co_await svc.Get(id);
    if (!rec) co_return ErrorResponse(ctx, rec.error());
    co_return JsonResponse(ctx, status::ok, json::object{{"conversation", ToJson(rec.value())}});
}

awaitable<Response> PostMessage(ConversationService& svc, RequestContext& ctx) {
    std::string id(ctx.Param("id"));
    auto ref = co_await svc.Authorize(id, ctx.BearerToken());
    if (!ref) co_return ErrorResponse(ctx, ref.error());
    auto body = ParseObject(ctx.req.body());
    if (!body) co_return ErrorResponse(ctx, body.error());
    auto cmid = RequiredClientMessageId(*body);
    if (!cmid) co_return ErrorResponse(ctx, cmid.error());
    auto text = RequiredString(*body, "text", {1, 4000, true, true});
    if (!text) co_return ErrorResponse(ctx, text.error());
    auto posted = co_await svc.Post(ref.value(), std::move(cmid.value()), std::move(text.value()));
    if (!posted) co_return ErrorResponse(ctx, posted.error());
    json::object out{
        {"message", ToJson(posted->message)}, {"replies", ToJson(posted->replies)}, {"duplicate", posted->duplicate}};
    co_return JsonResponse(ctx, posted->duplicate ? status::ok : status::created, out);
}

awaitable<Response> ListMessages(ConversationService& svc, RequestContext& ctx) {
    std::string id(ctx.Param("id"));
    auto ref = co_await svc.Authorize(id, ctx.BearerToken());
    if (!ref) co_return ErrorResponse(ctx, ref.error());
    auto after = IntQuery(ctx, "after", 0, 0, std::numeric_limits<std::int64_t>::max());
    if (!after) co_return ErrorResponse(ctx, after.error());
    auto limit = IntQuery(ctx, "limit", 50, 1, 200);
    if (!limit) co_return ErrorResponse(ctx, limit.error());
    auto page = co_await svc.List(id, after.value(), static_cast<int>(limit.value()));
    if (!page) co_return ErrorResponse(ctx, page.error());
    json::value next = page->messages.empty() ? json::value(nullptr) : json::value(page->messages.back().seq);
    co_return JsonResponse(
        ctx, status::ok,
        json::object{{"messages", ToJson(page->messages)}, {"has_more", page->has_more}, {"next_after", next}});
}

awaitable<Response> EndConversation(ConversationService& svc, RequestContext& ctx) {
    std::string id(ctx.Param("id"));
    auto ref = co_await svc.Authorize(id, ctx.BearerToken());
    if (!ref) co_return ErrorResponse(ctx, ref.error());
    auto rec = co_await svc.End(id);
    if (!rec) co_return ErrorResponse(ctx, rec.error());
    co_return JsonResponse(ctx, status::ok, json::object{{"conversation", ToJson(rec.value())}});
}

}  // namespace

void AddConversationRoutes(net::Router& router, ConversationService& svc) {
    using net::http::verb;
    auto bind = [&svc](auto fn) { return [&svc, fn](RequestContext& ctx) { return fn(svc, ctx); }; };
    router.Add(verb::post, "/api/v1/conversations", bind(CreateConversation));
    router.Add(verb::get, "/api/v1/conversations/{id}", bind(GetConversation));
    router.Add(verb::post, "/api/v1/conversations/{id}/messages", bind(PostMessage));
    router.Add(verb::get, "/api/v1/conversations/{id}/messages", bind(ListMessages));
    router.Add(verb::post, "/api/v1/conversations/{id}/end", bind(EndConversation));
}

}  // namespace kefu::api
