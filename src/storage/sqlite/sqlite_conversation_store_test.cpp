#include "storage/sqlite/sqlite_conversation_store.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <future>
#include <thread>

#include "core/ids.hpp"

namespace kefu::storage::sqlite {
namespace {

// Runs an asynchronous store call and waits for its callback.
template <typename T, typename Fn>
Result<T> Wait(Fn fn) {
    std::promise<Result<T>> p;
    auto f = p.get_future();
    fn([&p](Result<T> r) { p.set_value(std::move(r)); });
    return f.get();
}

class ConversationStoreTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() / NewId("kefu_store_test_");
        db_ = Database::Open({(dir_ / "kefu.db").string(), 2, 64});
        store_ = MakeConversationStore(*db_);
    }
    void TearDown() override {
        store_.reset();
        db_->Close();
        db_.reset();
        std::filesystem::remove_all(dir_);
    }

    ConversationRecord NewConversation() {
        ConversationRecord rec;
        rec.id = NewId("cv_");
        rec.token_hash = Sha256Hex("token");
        rec.channel = "web";
        rec.language = "zh";
        rec.created_at = rec.updated_at = 1000;
        auto r = Wait<CreatedConversation>([&](auto done) {
            store_->CreateConversation(
                rec, {NewMessage{NewId("msg_"), "bot", "welcome", std::nullopt, std::nullopt, "{}", 1000}}, done);
        });
        EXPECT_TRUE(r.ok());
        return rec;
    }

    Result<AppendOutcome> Append(const std::string& conv, const std::string& cmid, const std::string& text) {
        return Wait<AppendOutcome>([&](auto done) {
            store_->AppendCustomerMessage(
                conv, NewMessage{NewId("msg_"), "customer", text, cmid, std::nullopt, "{}", 2000}, done);
        });
    }

    std::filesystem::path dir_;
    std::unique_ptr<Database> db_;
    std::unique_ptr<ConversationStore> store_;
};

TEST_F(ConversationStoreTest, MigrationsAreApplied) { EXPECT_GE(db_->schema_version(), 1); }

TEST_F(ConversationStoreTest, CreateStoresWelcomeAsSeqOne) {
    auto rec = NewConversation();
    auto page = Wait<MessagePage>([&](auto done) { store_->ListMessages(rec.id, 0, 10, done); });
    ASSERT_TRUE(page.ok());
    ASSERT_EQ(page->messages.size(), 1u);
    EXPECT_EQ(page->messages[0].seq, 1);
    EXPECT_EQ(page->messages[0].role, "bot");
}

TEST_F(ConversationStoreTest, AppendAssignsConsecutiveSeqs) {
    auto rec = NewConversation();
    auto a = Append(rec.id, "c1", "hello");
    auto b = Append(rec.id, "c2", "again");
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(a->message.seq, 2);
    EXPECT_EQ(b->message.seq, 3);
}

TEST_F(ConversationStoreTest, RetryWithSameClientIdIsADuplicateWithReplies) {
    auto rec = NewConversation();
    auto first = Append(rec.id, "c1", "hello");
    ASSERT_TRUE(first.ok());
    auto replies = Wait<std::vector<MessageRecord>>([&](auto done) {
        store_->AppendMessages(
            rec.id, {NewMessage{NewId("msg_"), "bot", "hi!", std::nullopt, first->message.seq, "{}", 2001}}, done);
    });
    ASSERT_TRUE(replies.ok());
    auto again = Append(rec.id, "c1", "hello");
    ASSERT_TRUE(again.ok());
    EXPECT_TRUE(again->duplicate);
    EXPECT_EQ(again->message.id, first->message.id);
    ASSERT_EQ(again->replies.size(), 1u);
    EXPECT_EQ(again->replies[0].text, "hi!");
    auto page = Wait<MessagePage>([&](auto done) { store_->ListMessages(rec.id, 0, 10, done); });
    EXPECT_EQ(page->messages.size(), 3u);  // welcome, message, reply: no second copy
}

TEST_F(ConversationStoreTest, SameClientIdWithOtherTextConflicts) {
    auto rec = NewConversation();
    ASSERT_TRUE(Append(rec.id, "c1", "hello").ok());
    auto r = Append(rec.id, "c1", "different");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::kConflict);
}

TEST_F(ConversationStoreTest, ConcurrentDuplicatesStoreOneMessage) {
    auto rec = NewConversation();
    std::vector<std::thread> threads;
    std::atomic<int> fresh{0};
    for (int i = 0; i < 16; ++i) {
        threads.emplace_back([&] {
            auto r = Append(rec.id, "same", "text");
            if (r.ok() && !r->duplicate) ++fresh;
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(fresh.load(), 1);
    auto page = Wait<MessagePage>([&](auto done) { store_->ListMessages(rec.id, 0, 100, done); });
    EXPECT_EQ(page->messages.size(), 2u);
}

TEST_F(ConversationStoreTest, EndedConversationRefusesNewMessages) {
    auto rec = NewConversation();
    auto ended = Wait<ConversationRecord>([&](auto done) { store_->EndConversation(rec.id, 3000, done); });
    ASSERT_TRUE(ended.ok());
    EXPECT_EQ(ended->status, "ended");
    auto r = Append(rec.id, "c9", "hello?");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::kConversationEnded);
}

TEST_F(ConversationStoreTest, UnknownConversationIsNotFound) {
    auto r = Wait<ConversationRecord>([&](auto done) { store_->GetConversation("cv_nope", done); });
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
    auto a = Append("cv_nope", "c1", "x");
    EXPECT_EQ(a.error().code, ErrorCode::kNotFound);
}

TEST_F(ConversationStoreTest, PagesWithHasMore) {
    auto rec = NewConversation();
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(Append(rec.id, "c" + std::to_string(i), "m").ok());
    auto page = Wait<MessagePage>([&](auto done) { store_->ListMessages(rec.id, 1, 3, done); });
    ASSERT_EQ(page->messages.size(), 3u);
    EXPECT_TRUE(page->has_more);
    EXPECT_EQ(page->messages.front().seq, 2);
    auto rest = Wait<MessagePage>([&](auto done) { store_->ListMessages(rec.id, 4, 3, done); });
    EXPECT_EQ(rest->messages.size(), 2u);
    EXPECT_FALSE(rest->has_more);
}

TEST_F(ConversationStoreTest, DataSurvivesReopen) {
    auto rec = NewConversation();
    ASSERT_TRUE(Append(rec.id, "c1", "persist me").ok());
    store_.reset();
    db_->Close();
    db_ = Database::Open({(dir_ / "kefu.db").string(), 1, 64});
    store_ = MakeConversationStore(*db_);
    auto page = Wait<MessagePage>([&](auto done) { store_->ListMessages(rec.id, 0, 10, done); });
    ASSERT_EQ(page->messages.size(), 2u);
    EXPECT_EQ(page->messages[1].text, "persist me");
}

TEST_F(ConversationStoreTest, ManyConcurrentWritersAreGroupCommitted) {
    auto rec = NewConversation();
    constexpr int kWriters = 200;
    std::vector<std::promise<Result<AppendOutcome>>> promises(kWriters);
    for (int i = 0; i < kWriters; ++i) {
        store_->AppendCustomerMessage(
            rec.id, NewMessage{NewId("msg_"), "customer", "m", "w" + std::to_string(i), std::nullopt, "{}", 1},
            [&promises, i](Result<AppendOutcome> r) { promises[static_cast<size_t>(i)].set_value(std::move(r)); });
    }
    std::set<std::int64_t> seqs;
    for (auto& p : promises) {
        auto r = p.get_future().get();
        ASSERT_TRUE(r.ok());
        seqs.insert(r->message.seq);
    }
    EXPECT_EQ(seqs.size(), static_cast<size_t>(kWriters));
    EXPECT_EQ(*seqs.begin(), 2);
    EXPECT_EQ(*seqs.rbegin(), kWriters + 1);
}

}  // namespace
}  // namespace kefu::storage::sqlite
