#include "net/router.hpp"

#include <gtest/gtest.h>

namespace kefu::net {
namespace {

Handler Noop() {
    return [](RequestContext& ctx) -> boost::asio::awaitable<Response> {
        co_return Response{http::status::ok, ctx.req.version()};
    };
}

TEST(Router, MatchesLiteralAndParameterSegments) {
    Router r;
    r.Add(http::verb::post, "/api/v1/conversations", Noop());
    r.Add(http::verb::get, "/api/v1/conversations/{id}/messages", Noop());
    auto m = r.Find(http::verb::get, "/api/v1/conversations/cv_abc/messages");
    ASSERT_NE(m.route, nullptr);
    EXPECT_EQ(m.route->pattern, "/api/v1/conversations/{id}/messages");
    ASSERT_EQ(m.params.size(), 1u);
    EXPECT_EQ(m.params[0].first, "id");
    EXPECT_EQ(m.params[0].second, "cv_abc");
}

TEST(Router, ReportsAllowedMethodsForKnownPath) {
    Router r;
    r.Add(http::verb::post, "/api/v1/conversations", Noop());
    auto m = r.Find(http::verb::delete_, "/api/v1/conversations");
    EXPECT_EQ(m.route, nullptr);
    ASSERT_EQ(m.allowed.size(), 1u);
    EXPECT_EQ(m.allowed[0], http::verb::post);
}

TEST(Router, UnknownPathHasNoMatchAndNoAllowedMethods) {
    Router r;
    r.Add(http::verb::get, "/healthz", Noop());
    auto m = r.Find(http::verb::get, "/nothing/here");
    EXPECT_EQ(m.route, nullptr);
    EXPECT_TRUE(m.allowed.empty());
    EXPECT_EQ(r.Find(http::verb::get, "/healthz/extra").route, nullptr);
}

TEST(Router, HeadFallsBackToGet) {
    Router r;
    r.Add(http::verb::get, "/healthz", Noop());
    EXPECT_NE(r.Find(http::verb::head, "/healthz").route, nullptr);
}

}  // namespace
}  // namespace kefu::net
