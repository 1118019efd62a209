#include "net/http.hpp"

#include <gtest/gtest.h>

namespace kefu::net {
namespace {

TEST(RequestContext, ReadsQueryParametersWithinTheQueryOnly) {
    Request req;
    std::string target = "/x?after=0&limit=2XYZ";
    RequestContext ctx{req, "rid", "ip", "/x", std::string_view(target).substr(3, 15), {}};
    EXPECT_EQ(ctx.Query("after"), "0");
    EXPECT_EQ(ctx.Query("limit"), "2");
    EXPECT_EQ(ctx.Query("missing"), std::nullopt);
}

TEST(RequestContext, DecodesQueryParameters) {
    Request req;
    RequestContext ctx{req, "rid", "ip", "/x", "q=a%20b+c&flag&e=%zz", {}};
    EXPECT_EQ(ctx.Query("q"), "a b c");
    EXPECT_EQ(ctx.Query("flag"), "");
    EXPECT_EQ(ctx.Query("e"), "%zz");
}

TEST(RequestContext, ReadsBearerToken) {
    Request req;
    req.set(http::field::authorization, "Bearer abc.def");
    RequestContext ctx{req, "rid", "ip", "/", "", {}};
    EXPECT_EQ(ctx.BearerToken(), "abc.def");
    Request basic;
    basic.set(http::field::authorization, "Basic xyz");
    EXPECT_EQ((RequestContext{basic, "rid", "ip", "/", "", {}}.BearerToken()), std::nullopt);
}

TEST(RequestId, KeepsValidClientIdsAndReplacesOthers) {
    Request ok;
    ok.set("X-Request-Id", "client-123.abc_X");
    EXPECT_EQ(RequestIdFor(ok), "client-123.abc_X");
    Request bad;
    bad.set("X-Request-Id", "has space");
    EXPECT_NE(RequestIdFor(bad), "has space");
    EXPECT_EQ(RequestIdFor(Request{}).size(), 16u);
}

}  // namespace
}  // namespace kefu::net
