#include "kb/index.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "kb/gaps.hpp"
#include "kb/import.hpp"
#include "nlu/normalise.hpp"

namespace kefu::kb {
namespace {

std::shared_ptr<const nlu::Normaliser> Norm() {
    static std::shared_ptr<const nlu::Normaliser> n = std::move(nlu::Normaliser::Create().value());
    return n;
}

PublishedEntry Entry(const std::string& id, const std::string& lang, const std::string& q,
                     std::vector<std::string> paraphrases, const std::string& answer) {
    PublishedEntry e;
    e.id = id;
    e.version = 1;
    e.body.content[lang] = LanguageContent{q, std::move(paraphrases), answer, {}};
    return e;
}

std::vector<PublishedEntry> Small() {
    return {Entry("lost", "en", "I lost my card", {"my card is missing", "cannot find my debit card"}, "Call **400**."),
            Entry("rates", "en", "What are the exchange rates", {"fx rates today", "dollar rate"}, "See the app."),
            Entry("hours", "en", "When are branches open", {"branch opening hours", "are you open on sunday"}, "9-5."),
            Entry("lost-zh", "zh", "银行卡丢了怎么办", {"卡丢了", "借记卡找不到了"}, "请挂失。")};
}

TEST(KbIndex, FindsTheEntryAndOnlyInTheQueryLanguage) {
    IndexOptions o;
    o.answer_threshold = 0.3;
    auto index = KbIndex::Build(Small(), o, Norm(), nullptr);
    ASSERT_TRUE(index.ok()) << index.error().message;
    SearchOptions en;
    en.language = "en";
    auto r = (*index)->Search("I have lost my card", en);
    ASSERT_FALSE(r.top.empty());
    EXPECT_EQ(r.top.front().id, "lost");
    EXPECT_EQ(r.top.front().question, "I lost my card");
    SearchOptions zh;
    zh.language = "zh";
    auto z = (*index)->Search("我的卡丢了", zh);
    ASSERT_FALSE(z.top.empty());
    EXPECT_EQ(z.top.front().id, "lost-zh");
    for (const auto& c : z.top) EXPECT_NE(c.id, "lost") << "an English-only entry is not offered in Chinese";
    auto nothing = (*index)->Search("", en);
    EXPECT_EQ(nothing.decision, "fallback");
    EXPECT_TRUE(nothing.id.empty());
}

TEST(KbIndex, EffectiveDatesAndChannelVariants) {
    auto entries = Small();
    entries[0].body.effective_until = "2026-01-31";
    entries[2].body.content["en"].variants["sms"] = "Branches: 9-5.";
    IndexOptions o;
    o.answer_threshold = 0.0;
    auto index = KbIndex::Build(entries, o, Norm(), nullptr);
    ASSERT_TRUE(index.ok());
    SearchOptions s;
    s.language = "en";
    s.today = "2026-02-01";
    for (const auto& c : (*index)->Search("I lost my card", s).top) EXPECT_NE(c.id, "lost") << "expired";
    s.today = "2026-01-31";
    EXPECT_EQ((*index)->Search("I lost my card", s).id, "lost");
    s.channel = "sms";
    EXPECT_EQ((*index)->Search("branch opening hours", s).answer, "Branches: 9-5.");
    EXPECT_EQ((*index)->Search("I lost my card", s).answer, "Call 400.") << "Markdown is stripped for SMS";
}

TEST(KbIndex, TheDemoKnowledgeBaseAnswersItsOwnQuestionsConfidently) {
    auto zh = LoadPublishedFromFile(KEFU_SOURCE_DIR "/packs/demo/kb/faq_zh.csv");
    auto en = LoadPublishedFromFile(KEFU_SOURCE_DIR "/packs/demo/kb/faq_en.csv");
    ASSERT_TRUE(zh.ok() && en.ok());
    std::vector<PublishedEntry> all = *zh;  // the files share ids: one entry per id, as the server seeds them
    for (const auto& e : *en) {
        auto it = std::find_if(all.begin(), all.end(), [&](const PublishedEntry& x) { return x.id == e.id; });
        if (it == all.end()) {
            all.push_back(e);
        } else {
            it->body.content["en"] = e.body.content.at("en");
        }
    }
    auto index = KbIndex::Build(all, IndexOptions{}, Norm(), nullptr);
    ASSERT_TRUE(index.ok());
    EXPECT_GT((*index)->reranker().training_queries, 100);
    SearchOptions s;
    s.language = "en";
    int right = 0;
    for (std::size_t i = 0; i < en->size(); ++i) {
        auto r = (*index)->Search(en->at(i).body.content.at("en").question, s);
        right += r.decision == "answer" && r.id == en->at(i).id;
    }
    EXPECT_GE(right, static_cast<int>(en->size() * 9 / 10)) << right << " of " << en->size();
}

TEST(KbIndex, StripMarkdownKeepsTheTextAndLinkTargets) {
    EXPECT_EQ(StripMarkdown("**Call** us:\n- [our line](tel:400) now\n1. *then* wait"),
              "Call us:\nour line (tel:400) now\n1. then wait");
}

TEST(KbGaps, SimilarQuestionsClusterMostFrequentFirst) {
    std::vector<Gap> gaps = {
        {1, "c1", "en", "how do I feed my pet dragon", "fallback", "", 0.1},
        {2, "c2", "en", "how to feed my pet dragon?", "fallback", "", 0.1},
        {3, "c3", "en", "what does a pet dragon eat", "clarify", "x", 0.3},
        {4, "c4", "zh", "可以用比特币还款吗", "fallback", "", 0.1},
        {5, "c5", "en", "how do I feed my pet dragon", "fallback", "", 0.1},
    };
    auto clusters = ClusterGaps(gaps, *Norm(), 10);
    ASSERT_GE(clusters.size(), 2u);
    EXPECT_GE(clusters[0].count, 3);
    EXPECT_EQ(clusters[0].example, "how do I feed my pet dragon");
    EXPECT_EQ(clusters[0].last_seen, 5);
    EXPECT_EQ(ClusterGaps(gaps, *Norm(), 1).size(), 1u);
}

}  // namespace
}  // namespace kefu::kb
