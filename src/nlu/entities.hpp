#pragma once
// Entity extraction: money, dates and times, card numbers, account numbers, mobile phones, resident ID
// numbers, e-mail addresses and transfer references, found in normalised text and reported as spans of the
// customer's original text.
//
// Extractors run from the most specific to the least and never overlap: e-mail, transfer reference,
// id_number > card_number > account_number > phone, then money, then dates and times. So an amount is never
// reported inside an identifier. The forms each one understands are listed in identifiers.hpp, money.hpp
// and datetime.hpp.
//
// Sensitive data: Entity::text is the customer's own text and may hold a full card or ID number. Values
// never do (cards, IDs and accounts carry only a masked form and the last four digits). Anything that may
// reach a log must use LoggableText() or ToJson() with masking on.

#include <boost/json/object.hpp>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "nlu/identifiers.hpp"
#include "nlu/normalise.hpp"

namespace kefu::nlu {

struct Entity {
    // money | date | date_range | time | datetime | card_number | account_number | phone | id_number | email |
    // transfer_ref
    std::string type;
    std::string text;       // the original text of the span (sensitive for cards and IDs: see above)
    std::size_t start = 0;  // code-point offsets into the original text, [start, end)
    std::size_t end = 0;
    // money      {"amount": "1500.00", "currency": "CNY"} (+ "currency_inferred": true without a currency cue)
    // date       {"date": "2026-12-01"};  date_range {"start": "2026-11-21", "end": "2026-11-23"} (inclusive)
    // time       {"time": "15:00"};  datetime {"datetime": "2026-11-24T15:00"} or {"start": ..., "end": ...}
    // card_number / account_number {"masked": "************1111", "last4": "1111", "length": 16}
    // id_number  {"masked": "**************002X", "birth_date": "1949-12-31"}
    // phone      {"e164": "+8613812345678", "masked": "138****5678"}
    // email      {"address": "zhang.san@example.com"};  transfer_ref {"reference": "TRF2026112300012345"}
    boost::json::object value;
};

// Set once, from configuration.
struct EntityConfig {
    // Account-number patterns in AccountPattern syntax (e.g. "62\\d{14,17}"). Default: none, so no digit run
    // is reported as an account number.
    std::vector<std::string> account_patterns;
    // Token prefixes that mark a transfer reference (case-insensitive). Default: TRF and FT.
    std::vector<std::string> transfer_ref_prefixes = {"TRF", "FT"};
    // The currency of an amount with no currency cue ("转账1,000.50"): CNY, USD, EUR, HKD, GBP or JPY.
    std::string default_currency = "CNY";
};

// Per call.
struct ExtractOptions {
    // Required. ISO-8601 local time, e.g. "2026-11-23T10:00:00+08:00"; relative dates ("明天", "last 3 days")
    // resolve against its local date.
    std::string reference_time;
};

// An EntityExtractor is immutable after construction and safe for concurrent use from multiple threads
// without external synchronisation.
class EntityExtractor {
  public:
    // Returns kInvalidArgument for a bad account pattern, an empty prefix or an unknown default currency.
    static Result<EntityExtractor> Create(const EntityConfig& config);
    // Equivalent to Create(EntityConfig{}), which cannot fail.
    EntityExtractor();

    // The entities in `text`, ordered by start. Returns kInvalidArgument when options.reference_time is
    // missing or malformed. Runs in time linear in the length of the text.
    Result<std::vector<Entity>> Extract(const NormalisedText& text, const ExtractOptions& options) const;

  private:
    std::vector<AccountPattern> accounts_;
    std::vector<std::u32string> prefixes_;
    std::string default_currency_;
};

// Returns true iff entities of this type may hold a card, ID, account, phone number or e-mail address.
bool IsSensitive(std::string_view type);
// The entity's text, masked when IsSensitive(): safe to log.
std::string LoggableText(const Entity& entity);
// {type, text, start, end, value}; with `mask_sensitive`, text is LoggableText().
boost::json::object ToJson(const Entity& entity, bool mask_sensitive = true);

}  // namespace kefu::nlu
