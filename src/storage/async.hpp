#pragma once
// Bridges the storage callbacks to C++20 coroutines:
//   auto r = co_await storage::Await<ConversationRecord>([&](auto done) { store.GetConversation(id, done); });
// The coroutine resumes on its own executor, never on the storage thread.

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <memory>

#include "core/error.hpp"
#include "storage/conversation_store.hpp"

namespace kefu::storage {

template <typename T, typename Start>
boost::asio::awaitable<Result<T>> Await(Start start) {
    co_return co_await boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&, void(Result<T>)>(
        [start = std::move(start)](auto handler) mutable {
            auto h = std::make_shared<decltype(handler)>(std::move(handler));
            start(Callback<T>([h](Result<T> r) {
                auto ex = boost::asio::get_associated_executor(*h);
                boost::asio::post(ex, [h, r = std::move(r)]() mutable { std::move (*h)(std::move(r)); });
            }));
        },
        boost::asio::use_awaitable);
}

}  // namespace kefu::storage
