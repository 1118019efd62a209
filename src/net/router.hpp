#pragma once
// Maps (method, path) to a handler. Patterns are '/'-separated segments; "{name}" matches one segment
// and becomes a path parameter. A path that matches some route but not the method yields the allowed
// methods, so the server can answer 405 with an Allow header instead of 404.
// Built once at start-up, then read concurrently without locks.

#include <string>
#include <string_view>
#include <vector>

#include "net/http.hpp"

namespace kefu::net {

class Router {
  public:
    struct Route {
        http::verb method;
        std::string pattern;  // also the metrics label: "/api/v1/conversations/{id}"
        std::vector<std::string> segments;
        Handler handler;
    };

    struct Match {
        const Route* route = nullptr;
        std::vector<std::pair<std::string, std::string>> params;
        std::vector<http::verb> allowed;  // non-empty when the path exists under other methods
    };

    void Add(http::verb method, std::string pattern, Handler handler);
    // A catch-all GET handler for paths no route matches (static files). It returns 404 itself.
    void SetFallbackGet(Handler handler) { fallback_get_ = std::move(handler); }

    Match Find(http::verb method, std::string_view path) const;
    const Handler& fallback_get() const { return fallback_get_; }
    const std::vector<Route>& routes() const { return routes_; }

  private:
    std::vector<Route> routes_;
    Handler fallback_get_;
};

}  // namespace kefu::net
