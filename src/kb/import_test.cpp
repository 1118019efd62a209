#include "kb/import.hpp"

#include <gtest/gtest.h>

namespace kefu::kb {
namespace {

TEST(KbImport, CsvRowsOfOneIdMergeAndBadRowsAreReportedByLine) {
    const std::string csv =
        "id,language,question,answer,paraphrases,category,tags\n"
        "card-lost,zh,银行卡丢了怎么办？,请立即挂失。,卡丢了|卡找不到了,cards,card|lost\n"
        "card-lost,en,I lost my card,\"Call us now,\n24 hours a day.\",lost card,cards,\n"
        "Bad Id,en,q,a,,,\n"
        "fees,fr,q,a,,,\n"
        "fees,en,,a,,,\n"
        "card-lost,zh,again,again,,,\n";
    auto parsed = ParseImport(csv, FileFormat::kCsv);
    ASSERT_EQ(parsed.problems.size(), 4u);
    EXPECT_EQ(parsed.problems[0].line, 5);  // the quoted answer spans lines 3-4
    EXPECT_NE(parsed.problems[0].message.find("id"), std::string::npos);
    EXPECT_EQ(parsed.problems[1].line, 6);
    EXPECT_NE(parsed.problems[1].message.find("zh or en"), std::string::npos);
    EXPECT_EQ(parsed.problems[2].line, 7);
    EXPECT_NE(parsed.problems[2].message.find("question"), std::string::npos);
    EXPECT_EQ(parsed.problems[3].line, 8);
    ASSERT_GE(parsed.items.size(), 1u);
    const auto& card = parsed.items.front();
    EXPECT_EQ(card.body.content.size(), 2u);
    EXPECT_EQ(card.body.content.at("zh").paraphrases, (std::vector<std::string>{"卡丢了", "卡找不到了"}));
    EXPECT_EQ(card.body.content.at("en").answer, "Call us now,\n24 hours a day.");
    EXPECT_EQ(card.body.tags, (std::vector<std::string>{"card", "lost"}));
}

TEST(KbImport, MissingColumnsAndEmptyFilesAreProblems) {
    EXPECT_EQ(ParseImport("id,question\nx,y\n", FileFormat::kCsv).problems.front().line, 1);
    EXPECT_FALSE(ParseImport("", FileFormat::kCsv).problems.empty());
    EXPECT_FALSE(ParseImport("\xff\xfe", FileFormat::kCsv).problems.empty());
}

TEST(KbImport, JsonAndYamlProblemsCarryTheLineOfTheEntry) {
    const std::string yaml =
        "entries:\n"
        "  - id: ok\n"
        "    content: {en: {question: q, answer: a}}\n"
        "  - id: broken\n"
        "    content: {en: {question: q}}\n";
    auto parsed = ParseImport(yaml, FileFormat::kYaml);
    ASSERT_EQ(parsed.problems.size(), 1u);
    EXPECT_EQ(parsed.problems[0].line, 4);
    auto json = ParseImport(
        "[\n {\"id\": \"a\", \"content\": {\"en\": {\"question\": \"q\", \"answer\": \"a\"}}},\n"
        " {\"id\": \"a\", \"content\": {\"en\": {\"question\": \"q\", \"answer\": \"a\"}}}\n]",
        FileFormat::kJson);
    ASSERT_EQ(json.problems.size(), 1u);
    EXPECT_EQ(json.problems[0].line, 3);
    EXPECT_NE(json.problems[0].message.find("twice"), std::string::npos);
}

TEST(KbImport, ExportReadsBackToTheSameBodiesInEveryFormat) {
    Entry e;
    e.id = "fx-rates";
    e.body.category = "fx";
    e.body.tags = {"fx", "rates"};
    e.body.effective_from = "2026-01-01";
    e.body.content["en"] = LanguageContent{"What are today's rates?",
                                           {"fx rates", "rate, please"},
                                           "See **the app**:\n- buy\n- sell \"now\"",
                                           {{"sms", "See the app."}}};
    e.body.content["zh"] = LanguageContent{"今天汇率多少？", {}, "请查看手机银行。", {}};
    for (auto f : {FileFormat::kCsv, FileFormat::kJson, FileFormat::kYaml}) {
        auto text = Export({e}, f);
        auto parsed = ParseImport(text, f);
        ASSERT_TRUE(parsed.problems.empty()) << static_cast<int>(f) << ": " << parsed.problems.front().message << "\n"
                                             << text;
        ASSERT_EQ(parsed.items.size(), 1u);
        EXPECT_EQ(parsed.items[0].id, e.id);
        EXPECT_TRUE(parsed.items[0].body == e.body) << static_cast<int>(f) << "\n" << text;
    }
}

TEST(KbImport, TheDemoPackFilesAreValid) {
    for (const char* f : {"faq_zh.csv", "faq_en.csv"}) {
        auto loaded = LoadPublishedFromFile(std::string(KEFU_SOURCE_DIR "/packs/demo/kb/") + f);
        ASSERT_TRUE(loaded.ok()) << loaded.error().message;
        EXPECT_GE(loaded->size(), 100u);
    }
}

}  // namespace
}  // namespace kefu::kb
