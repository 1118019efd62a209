#include "core/error.hpp"

namespace kefu {

namespace {
struct CodeInfo {
    std::string_view name;
    int status;
};

CodeInfo Info(ErrorCode code) {
    switch (code) {
        case ErrorCode::kMalformedJson:
            return {"malformed_json", 400};
        case ErrorCode::kInvalidUtf8:
            return {"invalid_utf8", 400};
        case ErrorCode::kInvalidArgument:
            return {"invalid_argument", 400};
        case ErrorCode::kUnauthorized:
            return {"unauthorized", 401};
        case ErrorCode::kForbidden:
            return {"forbidden", 403};
        case ErrorCode::kNotFound:
            return {"not_found", 404};
        case ErrorCode::kMethodNotAllowed:
            return {"method_not_allowed", 405};
        case ErrorCode::kRequestTimeout:
            return {"request_timeout", 408};
        case ErrorCode::kConflict:
            return {"conflict", 409};
        case ErrorCode::kInvalidTransition:
            return {"invalid_transition", 409};
        case ErrorCode::kLocked:
            return {"locked", 423};
        case ErrorCode::kImportInvalid:
            return {"import_invalid", 422};
        case ErrorCode::kConversationEnded:
            return {"conversation_ended", 409};
        case ErrorCode::kPayloadTooLarge:
            return {"payload_too_large", 413};
        case ErrorCode::kUnsupportedMediaType:
            return {"unsupported_media_type", 415};
        case ErrorCode::kHeaderTooLarge:
            return {"header_too_large", 431};
        case ErrorCode::kRateLimited:
            return {"rate_limited", 429};
        case ErrorCode::kOverloaded:
            return {"overloaded", 503};
        case ErrorCode::kUnavailable:
            return {"unavailable", 503};
        case ErrorCode::kUpstreamTimeout:
            return {"upstream_timeout", 504};
        case ErrorCode::kInternal:
            return {"internal", 500};
    }
    return {"internal", 500};
}
}  // namespace

std::string_view ErrorCodeName(ErrorCode code) { return Info(code).name; }
int HttpStatusFor(ErrorCode code) { return Info(code).status; }

}  // namespace kefu
