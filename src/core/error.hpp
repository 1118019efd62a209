#pragma once
// Error and Result<T>: how expected failures travel in Kefu (validation, not found, conflict, upstream
// time-out). Exceptions are kept for bugs and failed start-up. Messages are safe to show to a client:
// customer data never goes into Error::message.

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace kefu {

enum class ErrorCode {
    kMalformedJson,
    kInvalidUtf8,
    kInvalidArgument,
    kUnauthorized,
    kForbidden,
    kNotFound,
    kMethodNotAllowed,
    kRequestTimeout,
    kConflict,
    kInvalidTransition,  // 409: a status change the state machine does not allow
    kLocked,             // 423: the account is locked for a while
    kImportInvalid,
    kConversationEnded,
    kPayloadTooLarge,
    kUnsupportedMediaType,
    kHeaderTooLarge,
    kRateLimited,
    kOverloaded,
    kUnavailable,
    kUpstreamTimeout,
    kInternal,
};

// The stable, documented wire name of a code ("not_found").
std::string_view ErrorCodeName(ErrorCode code);
// The HTTP status for a code (404 for kNotFound). One table for the whole server.
int HttpStatusFor(ErrorCode code);

struct Error {
    ErrorCode code = ErrorCode::kInternal;
    std::string message;

    static Error Make(ErrorCode c, std::string m) { return Error{c, std::move(m)}; }
};

// Result<T> holds either a value or an Error. Check ok() before value().
template <typename T>
class [[nodiscard]] Result {
  public:
    Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
    Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

    // Returns true iff the result holds a value.
    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }

    T& value() & {
        assert(ok());
        return std::get<0>(v_);
    }
    const T& value() const& {
        assert(ok());
        return std::get<0>(v_);
    }
    T&& value() && {
        assert(ok());
        return std::get<0>(std::move(v_));
    }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }

    const Error& error() const {
        assert(!ok());
        return std::get<1>(v_);
    }

  private:
    std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
  public:
    Result() = default;
    Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT(google-explicit-constructor)

    bool ok() const { return ok_; }
    explicit operator bool() const { return ok_; }
    const Error& error() const {
        assert(!ok_);
        return error_;
    }

  private:
    Error error_;
    bool ok_ = true;
};

inline Result<void> Ok() { return {}; }

}  // namespace kefu
