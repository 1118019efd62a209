#pragma once
// Identifier extractors: e-mail addresses, transfer reference numbers, and the digit-run identifiers (card
// numbers, resident ID numbers, account numbers and mobile phones). Internal to the entity extractor except
// for AccountPattern, which config loading uses to validate patterns at start-up.

#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "nlu/scan.hpp"

namespace kefu::nlu {

// An account-number pattern: a tiny regular-expression subset over digits, matched against the whole
// digit string (separators removed). Atoms are a literal digit or \d, each optionally followed by {n},
// {m,n} or ?. Examples: "62\d{14,17}" (62 and 14 to 17 more digits), "\d{12}", "6217\d{15}".
class AccountPattern {
  public:
    // Returns kInvalidArgument, naming the offending character, for anything outside the subset.
    static Result<AccountPattern> Parse(std::string_view pattern);
    // Returns true iff the pattern matches all of `digits`.
    bool Matches(std::string_view digits) const;
    const std::string& source() const { return source_; }

  private:
    struct Atom {
        char digit;  // '0'-'9', or 0 for any digit
        int min;
        int max;
    };
    bool MatchFrom(std::size_t atom, std::string_view rest) const;

    std::string source_;
    std::vector<Atom> atoms_;
};

namespace detail {

// local@domain.tld. The value is {"address": the normalised (lower-case) address}.
void ScanEmails(Text text, Claims& claims, std::vector<Candidate>& out);

// Transfer references, in two forms:
// - after a keyword (流水号, 交易流水号, 参考号, 交易号, 交易单号, 转账单号, 汇款单号, 回单号, 凭证号, 交易编号,
//   "reference number", "reference no", "ref no", "ref", "reference", "transaction id", "transaction number",
//   "txn id", "utr"), optionally followed by ':', '#', '是', '为' or "is": a code of 6 to 32 letters, digits
//   and '-' holding at least 4 digits;
// - a token that starts with one of `prefixes` (lower-case) followed by 8 to 20 letters and digits, at least
//   6 of them digits ("TRF2026112300012345", "FT24327ABC12345").
// The value is {"reference": the code in upper case}; the span is the code alone.
void ScanTransferRefs(Text text, const std::vector<std::u32string>& prefixes, Claims& claims,
                      std::vector<Candidate>& out);

// Runs of digits (single spaces or dashes allowed between digit groups), classified most specific first:
// - id_number: 18 characters (17 digits and a digit or X), GB 11643 checksum, a real birth date, laid out
//   as one block or 6-8-4; value {"masked", "birth_date"};
// - card_number: 13-19 digits not starting with 0 that pass Luhn, as one block, in fours (the last group
//   shorter), or 4-6-5 / 4-6-4; value {"masked", "last4", "length"} and never the full number;
// - account_number: matches one of `accounts`, as one block or in fours; value as for cards;
// - phone: a Chinese mobile 1[3-9] and 9 digits, optionally after 86 or +86, as one block, 3-4-4 or 3-8;
//   value {"e164", "masked"}. A mobile written with its country code is tried before cards.
// A run glued to letters ("abc4111...") or continuing as a decimal ("4111....50") is none of these.
void ScanNumberIdentifiers(Text text, const std::vector<AccountPattern>& accounts, Claims& claims,
                           std::vector<Candidate>& out);

}  // namespace detail
}  // namespace kefu::nlu
