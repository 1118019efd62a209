#include "kb/store.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "core/ids.hpp"
#include "storage/sqlite/database.hpp"

namespace kefu::kb {
namespace {

class KbStoreTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() / NewId("kefu_kb_test_");
        db_ = storage::sqlite::Database::Open({(dir_ / "kefu.db").string(), 1, 64});
    }
    void TearDown() override {
        db_->Close();
        db_.reset();
        std::filesystem::remove_all(dir_);
    }

    // Runs fn in one write transaction (its own savepoint: all or nothing) and waits.
    template <typename T>
    Result<T> Write(std::function<Result<T>(Connection&)> fn) {
        return db_->WriteAndWait<T>(std::move(fn));
    }

    static EntryBody Body(const std::string& answer) {
        EntryBody b;
        b.category = "cards";
        b.content["en"] = LanguageContent{"How do I report a lost card?", {"lost card", "card missing"}, answer, {}};
        return b;
    }

    std::filesystem::path dir_;
    std::unique_ptr<storage::sqlite::Database> db_;
};

TEST_F(KbStoreTest, LifecycleDraftReviewPublishKeepsThePublishedVersionLiveWhileEditing) {
    auto created = Write<Entry>([](Connection& c) { return CreateEntry(c, "card-lost", Body("v1"), "ann", 1); });
    ASSERT_TRUE(created.ok()) << created.error().message;
    EXPECT_EQ(created->status, kDraft);
    EXPECT_EQ(created->version, 1);
    EXPECT_FALSE(created->published_version.has_value());

    auto live = Write<std::vector<PublishedEntry>>([](Connection& c) { return LoadPublished(c); });
    EXPECT_TRUE(live->empty()) << "a draft is never answered";

    ASSERT_TRUE(Write<Entry>([](Connection& c) {
                    return TransitionEntry(c, "card-lost", 1, Transition::kSubmit, "ann", 2);
                }).ok());
    auto approved =
        Write<Entry>([](Connection& c) { return TransitionEntry(c, "card-lost", 1, Transition::kApprove, "bob", 3); });
    ASSERT_TRUE(approved.ok());
    EXPECT_EQ(approved->status, kPublished);
    EXPECT_EQ(approved->published_version, 1);

    // Editing makes a draft version 2; version 1 stays live until 2 is approved.
    auto edited = Write<Entry>([](Connection& c) { return UpdateEntry(c, "card-lost", 1, Body("v2"), "ann", 4); });
    ASSERT_TRUE(edited.ok());
    EXPECT_EQ(edited->version, 2);
    EXPECT_EQ(edited->status, kDraft);
    live = Write<std::vector<PublishedEntry>>([](Connection& c) { return LoadPublished(c); });
    ASSERT_EQ(live->size(), 1u);
    EXPECT_EQ(live->front().body.content.at("en").answer, "v1");

    auto history = Write<std::vector<VersionRecord>>([](Connection& c) { return History(c, "card-lost"); });
    ASSERT_EQ(history->size(), 2u);
    EXPECT_EQ(history->at(0).version, 2);
    EXPECT_EQ(history->at(1).reviewer, "bob");

    auto audit = Write<std::vector<AuditEvent>>([](Connection& c) { return ListAudit(c, "card-lost", 10); });
    ASSERT_EQ(audit->size(), 4u);
    EXPECT_EQ(audit->front().action, "update");
    EXPECT_NE(audit->front().detail.find("content.en.answer"), std::string::npos) << audit->front().detail;
}

TEST_F(KbStoreTest, StaleVersionAndIllegalTransitionAreConflicts) {
    ASSERT_TRUE(Write<Entry>([](Connection& c) { return CreateEntry(c, "e1", Body("a"), "ann", 1); }).ok());
    ASSERT_TRUE(Write<Entry>([](Connection& c) { return UpdateEntry(c, "e1", 1, Body("b"), "ann", 2); }).ok());
    auto stale = Write<Entry>([](Connection& c) { return UpdateEntry(c, "e1", 1, Body("c"), "bob", 3); });
    ASSERT_FALSE(stale.ok());
    EXPECT_EQ(stale.error().code, ErrorCode::kConflict);
    auto approve_draft =
        Write<Entry>([](Connection& c) { return TransitionEntry(c, "e1", 2, Transition::kApprove, "bob", 4); });
    ASSERT_FALSE(approve_draft.ok());
    EXPECT_EQ(approve_draft.error().code, ErrorCode::kConflict);
    auto dup = Write<Entry>([](Connection& c) { return CreateEntry(c, "e1", Body("x"), "ann", 5); });
    EXPECT_EQ(dup.error().code, ErrorCode::kConflict);
    auto bad_id = Write<Entry>([](Connection& c) { return CreateEntry(c, "Bad Id!", Body("x"), "ann", 5); });
    EXPECT_EQ(bad_id.error().code, ErrorCode::kInvalidArgument);
    auto missing = Write<Entry>([](Connection& c) { return UpdateEntry(c, "nope", 1, Body("x"), "ann", 5); });
    EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

TEST_F(KbStoreTest, FourEyesStopsAnAuthorApprovingTheirOwnVersion) {
    ASSERT_TRUE(Write<Entry>([](Connection& c) { return CreateEntry(c, "e1", Body("a"), "ann", 1); }).ok());
    ASSERT_TRUE(
        Write<Entry>([](Connection& c) { return TransitionEntry(c, "e1", 1, Transition::kSubmit, "ann", 2); }).ok());
    TransitionOptions o;
    o.four_eyes = true;
    auto self =
        Write<Entry>([&](Connection& c) { return TransitionEntry(c, "e1", 1, Transition::kApprove, "ann", 3, o); });
    ASSERT_FALSE(self.ok());
    EXPECT_EQ(self.error().code, ErrorCode::kForbidden);
    EXPECT_TRUE(Write<Entry>([&](Connection& c) {
                    return TransitionEntry(c, "e1", 1, Transition::kApprove, "bob", 3, o);
                }).ok());
}

TEST_F(KbStoreTest, RollbackPublishesTheOldContentAsANewVersion) {
    ASSERT_TRUE(Write<Entry>([](Connection& c) { return CreateEntry(c, "e1", Body("old"), "ann", 1, true); }).ok());
    ASSERT_TRUE(Write<Entry>([](Connection& c) { return UpdateEntry(c, "e1", 1, Body("new"), "ann", 2); }).ok());
    ASSERT_TRUE(
        Write<Entry>([](Connection& c) { return TransitionEntry(c, "e1", 2, Transition::kSubmit, "ann", 3); }).ok());
    ASSERT_TRUE(
        Write<Entry>([](Connection& c) { return TransitionEntry(c, "e1", 2, Transition::kApprove, "bob", 4); }).ok());
    auto rolled = Write<Entry>([](Connection& c) { return RollbackEntry(c, "e1", 2, 1, "bob", 5); });
    ASSERT_TRUE(rolled.ok()) << rolled.error().message;
    EXPECT_EQ(rolled->version, 3);
    EXPECT_EQ(rolled->status, kPublished);
    EXPECT_EQ(rolled->body.content.at("en").answer, "old");
    auto live = Write<std::vector<PublishedEntry>>([](Connection& c) { return LoadPublished(c); });
    EXPECT_EQ(live->front().body.content.at("en").answer, "old");
    auto archived =
        Write<Entry>([](Connection& c) { return TransitionEntry(c, "e1", 3, Transition::kArchive, "bob", 6); });
    ASSERT_TRUE(archived.ok());
    live = Write<std::vector<PublishedEntry>>([](Connection& c) { return LoadPublished(c); });
    EXPECT_TRUE(live->empty()) << "an archived entry is not answered";
}

TEST_F(KbStoreTest, AFailingImportChangesNothingAndADryRunCountsWithoutWriting) {
    std::vector<ImportItem> items{{"a1", Body("x"), 2}, {"a2", Body("y"), 3}};
    auto dry = Write<ImportCounts>([&](Connection& c) { return ImportEntries(c, items, true, "cli", 1, true); });
    ASSERT_TRUE(dry.ok());
    EXPECT_EQ(dry->created, 2);
    EXPECT_EQ(dry->published, 2);
    auto none = Write<std::vector<PublishedEntry>>([](Connection& c) { return LoadPublished(c); });
    EXPECT_TRUE(none->empty());

    // The second item is invalid: the whole operation fails and its savepoint rolls the first back.
    EntryBody bad = Body("");
    std::vector<ImportItem> with_bad{{"b1", Body("x"), 2}, {"b2", bad, 3}};
    auto failed = Write<ImportCounts>([&](Connection& c) { return ImportEntries(c, with_bad, true, "cli", 1); });
    ASSERT_FALSE(failed.ok());
    auto still = Write<Entry>([](Connection& c) { return GetEntry(c, "b1"); });
    EXPECT_EQ(still.error().code, ErrorCode::kNotFound);

    auto done = Write<ImportCounts>([&](Connection& c) { return ImportEntries(c, items, true, "cli", 1); });
    ASSERT_TRUE(done.ok());
    auto again = Write<ImportCounts>([&](Connection& c) { return ImportEntries(c, items, true, "cli", 2); });
    EXPECT_EQ(again->unchanged, 2);
    EXPECT_EQ(again->created + again->updated, 0);
}

}  // namespace
}  // namespace kefu::kb
