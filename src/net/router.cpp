#include "net/router.hpp"

namespace kefu::net {

namespace {
std::vector<std::string_view> Split(std::string_view path) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < path.size()) {
        if (path[i] == '/') {
            ++i;
            continue;
        }
        std::size_t j = path.find('/', i);
        if (j == std::string_view::npos) j = path.size();
        out.push_back(path.substr(i, j - i));
        i = j;
    }
    return out;
}
}  // namespace

void Router::Add(http::verb method, std::string pattern, Handler handler) {
    Route r{method, pattern, {}, std::move(handler)};
    for (auto s : Split(pattern)) r.segments.emplace_back(s);
    routes_.push_back(std::move(r));
}

Router::Match Router::Find(http::verb method, std::string_view path) const {
    Match m;
    auto segs = Split(path);
    for (const Route& r : routes_) {
        if (r.segments.size() != segs.size()) continue;
        std::vector<std::pair<std::string, std::string>> params;
        bool ok = true;
        for (std::size_t i = 0; i < segs.size() && ok; ++i) {
            const std::string& p = r.segments[i];
            if (p.size() > 2 && p.front() == '{' && p.back() == '}') {
                params.emplace_back(p.substr(1, p.size() - 2), std::string(segs[i]));
            } else {
                ok = p == segs[i];
            }
        }
        if (!ok) continue;
        if (r.method == method || (method == http::verb::head && r.method == http::verb::get)) {
            m.route = &r;
            m.params = std::move(params);
            return m;
        }
        m.allowed.push_back(r.method);
    }
    return m;
}

}  // namespace kefu::net
