#pragma once
// Bilingual text in flow files and the small template language of their prompts:
//   {slot}          a filled slot's label in the reply language ("尾号1282的借记卡" / "debit card ending 1282")
//   {slot.field}    one field of a slot's or an action result's value ({card.last4}, {transfer.status})
//   {list}          the rendered `item` template once per element of the step's `each` list, one per line
// A value that is an object with "zh" and "en" members renders in the reply language. Unknown names
// render as nothing; the loader rejects templates that name what no slot or action provides.

#include <boost/json/object.hpp>
#include <string>
#include <string_view>

namespace kefu::flow {

struct Text {
    std::string zh;
    std::string en;
    bool empty() const { return zh.empty() && en.empty(); }
    const std::string& In(std::string_view language) const { return language == "en" ? en : zh; }
};

// Looks up a dotted path ("card.last4") in `vars`; nullptr when absent.
const boost::json::value* Lookup(const boost::json::object& vars, std::string_view path);

// The display form of a value in `language`: strings as they are, {zh,en} objects by language, objects with
// a "label" by their label, numbers in decimal.
std::string Display(const boost::json::value& v, std::string_view language);

// Replaces every {path} in `tmpl` (for `language`) by Display(Lookup(vars, path)). "{{" is a literal "{".
std::string Render(std::string_view tmpl, const boost::json::object& vars, std::string_view language);

// The names a template refers to (the part before the first dot), for load-time checks.
std::vector<std::string> TemplateNames(std::string_view tmpl);

}  // namespace kefu::flow
