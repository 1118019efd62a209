#include "api/hub.hpp"

#include <algorithm>

namespace kefu::api {

void Hub::Join(const std::string& room, const std::shared_ptr<Subscriber>& s) {
    std::lock_guard lock(mu_);
    rooms_[room].push_back(s);
}

void Hub::Leave(const std::string& room, const Subscriber* s) {
    std::lock_guard lock(mu_);
    auto it = rooms_.find(room);
    if (it == rooms_.end()) return;
    std::erase_if(it->second, [s](const std::weak_ptr<Subscriber>& w) {
        auto p = w.lock();
        return !p || p.get() == s;
    });
    if (it->second.empty()) rooms_.erase(it);
}

void Hub::Publish(const std::string& room, const std::string& frame, const Subscriber* except) {
    std::vector<std::shared_ptr<Subscriber>> targets;
    {
        std::lock_guard lock(mu_);
        auto it = rooms_.find(room);
        if (it == rooms_.end()) return;
        for (const auto& w : it->second) {
            if (auto p = w.lock(); p && p.get() != except) targets.push_back(std::move(p));
        }
    }
    for (const auto& t : targets) t->Deliver(frame);
}

std::size_t Hub::RoomCount() const {
    std::lock_guard lock(mu_);
    return rooms_.size();
}

}  // namespace kefu::api
