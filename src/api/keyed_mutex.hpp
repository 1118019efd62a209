#pragma once
// An asynchronous mutex per key: coroutines that lock the same key run one at a time, in arrival order,
// without blocking a thread while they wait. Used to process one conversation's turns strictly in
// order (the dialogue state of turn n+1 depends on turn n). Entries vanish when unlocked and unwaited.
// Thread-safe.

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace kefu::api {

class KeyedMutex {
  public:
    class Guard {
      public:
        Guard(KeyedMutex* m, std::string key) : m_(m), key_(std::move(key)) {}
        Guard(Guard&& o) noexcept : m_(std::exchange(o.m_, nullptr)), key_(std::move(o.key_)) {}
        Guard(const Guard&) = delete;
        Guard& operator=(const Guard&) = delete;
        Guard& operator=(Guard&&) = delete;
        ~Guard() {
            if (m_) m_->Unlock(key_);
        }

      private:
        KeyedMutex* m_;
        std::string key_;
    };

    boost::asio::awaitable<Guard> Lock(std::string key) {
        co_await boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&, void()>(
            [this, &key](auto handler) {
                auto h = std::make_shared<decltype(handler)>(std::move(handler));
                auto resume = [h] {
                    auto ex = boost::asio::get_associated_executor(*h);
                    boost::asio::post(ex, [h] { std::move (*h)(); });
                };
                std::unique_lock lock(mu_);
                auto& e = entries_[key];
                if (!e.locked) {
                    e.locked = true;
                    lock.unlock();
                    resume();
                } else {
                    e.waiters.push_back(std::move(resume));
                }
            },
            boost::asio::use_awaitable);
        co_return Guard(this, std::move(key));
    }

  private:
    struct Entry {
        bool locked = false;
        std::deque<std::function<void()>> waiters;
    };

    void Unlock(const std::string& key) {
        std::function<void()> next;
        {
            std::lock_guard lock(mu_);
            auto it = entries_.find(key);
            if (it == entries_.end()) return;
            if (it->second.waiters.empty()) {
                entries_.erase(it);
                return;
            }
            next = std::move(it->second.waiters.front());
            it->second.waiters.pop_front();
        }
        next();  // ownership passes straight to the next waiter
    }

    std::mutex mu_;
    std::unordered_map<std::string, Entry> entries_;  // guarded by mu_
};

}  // namespace kefu::api
