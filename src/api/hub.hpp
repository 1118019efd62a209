#pragma once
// Fan-out of conversation events to the WebSocket connections watching each conversation ("rooms").
// Publish copies the room's subscribers under the lock and delivers after releasing it (as Beast's
// chat-multi example does), and Deliver must not block: a slow client never holds up the others.
// Thread-safe.

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace kefu::api {

class Subscriber {
  public:
    virtual ~Subscriber() = default;
    virtual void Deliver(const std::string& frame) = 0;  // must return at once
};

class Hub {
  public:
    void Join(const std::string& room, const std::shared_ptr<Subscriber>& s);
    void Leave(const std::string& room, const Subscriber* s);
    // Sends frame to every subscriber of room except `except` (may be null).
    void Publish(const std::string& room, const std::string& frame, const Subscriber* except = nullptr);
    std::size_t RoomCount() const;

  private:
    mutable std::mutex mu_;
    std::unordered_map<std::string, std::vector<std::weak_ptr<Subscriber>>> rooms_;  // guarded by mu_
};

}  // namespace kefu::api
