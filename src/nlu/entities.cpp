#include "nlu/entities.hpp"

#include <algorithm>
#include <cctype>

#include "core/pii.hpp"
#include "nlu/datetime.hpp"
#include "nlu/money.hpp"
#include "nlu/scan.hpp"

namespace kefu::nlu {

Result<EntityExtractor> EntityExtractor::Create(const EntityConfig& config) {
    EntityExtractor x;
    x.prefixes_.clear();
    for (const std::string& p : config.account_patterns) {
        auto parsed = AccountPattern::Parse(p);
        if (!parsed) return parsed.error();
        x.accounts_.push_back(std::move(parsed).value());
    }
    for (const std::string& p : config.transfer_ref_prefixes) {
        if (p.empty()) return Error::Make(ErrorCode::kInvalidArgument, "transfer reference prefixes must not be empty");
        std::u32string lower;
        for (char c : p) {
            if (!std::isalnum(static_cast<unsigned char>(c))) {
                return Error::Make(ErrorCode::kInvalidArgument,
                                   "transfer reference prefix \"" + p + "\" must be ASCII letters and digits");
            }
            lower.push_back(static_cast<char32_t>(std::tolower(static_cast<unsigned char>(c))));
        }
        x.prefixes_.push_back(std::move(lower));
    }
    static constexpr std::string_view kCurrencies[] = {"CNY", "USD", "EUR", "HKD", "GBP", "JPY"};
    if (std::find(std::begin(kCurrencies), std::end(kCurrencies), config.default_currency) == std::end(kCurrencies)) {
        return Error::Make(ErrorCode::kInvalidArgument, "default currency must be one of CNY, USD, EUR, HKD, GBP, JPY");
    }
    x.default_currency_ = config.default_currency;
    return x;
}

EntityExtractor::EntityExtractor() : prefixes_{U"trf", U"ft"}, default_currency_("CNY") {}

Result<std::vector<Entity>> EntityExtractor::Extract(const NormalisedText& text, const ExtractOptions& options) const {
    auto reference = detail::ParseReferenceTime(options.reference_time);
    if (!reference) return reference.error();

    const detail::Text t = text.code_points;
    detail::Claims claims(t.size());
    std::vector<detail::Candidate> found;
    detail::ScanEmails(t, claims, found);
    detail::ScanTransferRefs(t, prefixes_, claims, found);
    detail::ScanNumberIdentifiers(t, accounts_, claims, found);
    detail::ScanMoney(t, default_currency_, claims, found);
    detail::ScanDateTimes(t, *reference, claims, found);
    std::sort(found.begin(), found.end(),
              [](const detail::Candidate& a, const detail::Candidate& b) { return a.start < b.start; });

    std::vector<Entity> out;
    out.reserve(found.size());
    for (detail::Candidate& c : found) {
        auto [start, end] = text.OriginalSpan(c.start, c.end);
        Entity e;
        e.type = std::move(c.type);
        e.text = std::string(text.OriginalSubstr(start, end));
        e.start = start;
        e.end = end;
        e.value = std::move(c.value);
        out.push_back(std::move(e));
    }
    return out;
}

bool IsSensitive(std::string_view type) {
    return type == "card_number" || type == "id_number" || type == "account_number" || type == "phone" ||
           type == "email";
}

std::string LoggableText(const Entity& entity) {
    if (!IsSensitive(entity.type)) return entity.text;
    if (entity.type != "email") {
        if (const auto* masked = entity.value.if_contains("masked"); masked != nullptr && masked->is_string()) {
            return std::string(masked->as_string());
        }
    }
    return MaskPii(entity.text);
}

boost::json::object ToJson(const Entity& entity, bool mask_sensitive) {
    boost::json::object o;
    o["type"] = entity.type;
    o["text"] = mask_sensitive ? LoggableText(entity) : entity.text;
    o["start"] = entity.start;
    o["end"] = entity.end;
    o["value"] = entity.value;
    return o;
}

}  // namespace kefu::nlu
