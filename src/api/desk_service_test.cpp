#include "api/desk_service.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <filesystem>
#include <future>
#include <thread>

#include "core/ids.hpp"
#include "storage/sqlite/sqlite_conversation_store.hpp"

namespace kefu::api {
namespace {

using storage::sqlite::Connection;

// Tickets owed by stored turns (desk_pending_tickets) survive a stop between the turn's commit and the ticket:
// the next start creates them, once.
class DeskPendingTickets : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() / NewId("kefu_desk_test_");
        db_ = storage::sqlite::Database::Open({(dir_ / "kefu.db").string(), 2, 64});
        store_ = storage::sqlite::MakeConversationStore(*db_);
        std::vector<std::string> problems;
        auto cfg = desk::LoadDeskConfig(KEFU_SOURCE_DIR "/packs/demo/desk/desk.yaml", &problems);
        ASSERT_TRUE(cfg) << (problems.empty() ? cfg.error().message : problems.front());
        config_ = *cfg;
        io_thread_ = std::thread([this] { io_.run(); });
    }
    void TearDown() override {
        work_.reset();
        io_.stop();
        io_thread_.join();
        store_.reset();
        db_->Close();
        db_.reset();
        std::filesystem::remove_all(dir_);
    }

    template <typename T, typename Fn>
    static Result<T> Wait(Fn fn) {
        std::promise<Result<T>> p;
        auto f = p.get_future();
        fn([&p](Result<T> r) { p.set_value(std::move(r)); });
        return f.get();
    }

    // A conversation whose last turn was stored with `tickets`, as if the process stopped right after the
    // commit (before the desk could create them).
    std::string StoreTurnWithTickets(std::vector<storage::PendingTicket> tickets) {
        storage::ConversationRecord rec;
        rec.id = NewId("cv_");
        rec.token_hash = Sha256Hex("token");
        rec.channel = "web";
        rec.language = "zh";
        rec.customer_ref = "C0001";
        rec.created_at = rec.updated_at = NowMillis();
        EXPECT_TRUE(
            Wait<storage::CreatedConversation>([&](auto done) { store_->CreateConversation(rec, {}, done); }).ok());
        for (auto& t : tickets) t.conversation_id = rec.id;
        auto appended = Wait<storage::AppendOutcome>([&](auto done) {
            store_->AppendTurn(
                rec.id, storage::NewMessage{NewId("msg_"), "customer", "转人工", "m1", std::nullopt, "{}", NowMillis()},
                {storage::NewMessage{NewId("msg_"), "bot", "好的", std::nullopt, std::nullopt, "{}", NowMillis()}},
                std::nullopt, std::nullopt, std::move(tickets), done);
        });
        EXPECT_TRUE(appended.ok());
        return rec.id;
    }

    struct Counts {
        std::int64_t tickets = 0;
        std::int64_t pending = 0;
        std::int64_t ticketed_chats = 0;
        std::int64_t notices = 0;  // system messages naming a ticket
    };
    Counts Count(const std::string& conversation_id) {
        auto r = db_->ReadAndWait<Counts>([&](Connection& c) -> Result<Counts> {
            Counts out;
            auto one = [&](const char* sql) {
                auto& s = c.Prepare(sql);
                s.Bind(1, conversation_id);
                s.Step();
                std::int64_t n = s.Int(0);
                s.Reset();
                return n;
            };
            out.tickets = one("SELECT COUNT(*) FROM tickets WHERE conversation_id = ?");
            out.pending = one("SELECT COUNT(*) FROM desk_pending_tickets WHERE conversation_id = ?");
            out.ticketed_chats =
                one("SELECT COUNT(*) FROM desk_chats WHERE conversation_id = ? AND status = 'ticketed' AND "
                    "ticket_id IS NOT NULL");
            out.notices = one(
                "SELECT COUNT(*) FROM messages WHERE conversation_id = ? AND role = 'system' AND text LIKE '%TK-%'");
            return out;
        });
        EXPECT_TRUE(r.ok());
        return r.ok() ? *r : Counts{};
    }
    Counts WaitForTickets(const std::string& conversation_id, std::int64_t n) {
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        Counts c = Count(conversation_id);
        while ((c.tickets < n || c.pending > 0) && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
            c = Count(conversation_id);
        }
        return c;
    }

    Result<std::vector<Ticket>> ListAll(DeskService& desk) {
        std::promise<Result<std::vector<Ticket>>> p;
        auto f = p.get_future();
        boost::asio::co_spawn(
            io_,
            [&]() -> boost::asio::awaitable<void> {
                // A named filter: GCC 12 destroys a braced temporary in co_await twice (PR c++/99576).
                TicketFilter all;
                all.status = "all";
                p.set_value(co_await desk.ListTickets(all));
            },
            boost::asio::detached);
        return f.get();
    }

    static storage::PendingTicket Handoff() {
        return {
            NewId("pt_"), "", "handoff",
            R"({"chat_id":")" + NewId("ch_") +
                R"(","skill":"cards","language":"zh","priority":0,"reason":"request","queued_at":1,"closed":false})",
            NowMillis()};
    }

    std::filesystem::path dir_;
    std::unique_ptr<storage::sqlite::Database> db_;
    std::unique_ptr<storage::ConversationStore> store_;
    desk::DeskConfig config_;
    Hub hub_;
    boost::asio::io_context io_;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_ = boost::asio::make_work_guard(io_);
    std::thread io_thread_;
};

TEST_F(DeskPendingTickets, AHandOffStoredBeforeAStopBecomesATicketAtTheNextStart) {
    storage::PendingTicket owed = Handoff();
    const std::string conv = StoreTurnWithTickets({owed});
    EXPECT_EQ(Count(conv).pending, 1);
    EXPECT_EQ(Count(conv).tickets, 0);

    DeskService desk(*db_, hub_, nullptr, config_, 60'000);
    ASSERT_TRUE(desk.Start(io_.get_executor()).ok());
    Counts c = WaitForTickets(conv, 1);
    EXPECT_EQ(c.tickets, 1);
    EXPECT_EQ(c.pending, 0);
    EXPECT_EQ(c.ticketed_chats, 1);
    EXPECT_EQ(c.notices, 1) << "the customer is told the ticket's reference";

    auto tickets = ListAll(desk);
    ASSERT_TRUE(tickets.ok());
    ASSERT_EQ(tickets->size(), 1u);
    EXPECT_EQ(tickets->front().source, "handoff");
    EXPECT_EQ(tickets->front().type, "card");
    EXPECT_EQ(tickets->front().customer_ref, "C0001");
    EXPECT_EQ(tickets->front().created_at, owed.created_at) << "the ticket's time (and SLA start) is the turn's";

    // Settling the same row again (the after-commit task racing a restart) makes no second ticket.
    desk.OnTicketsStored({owed});
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    c = Count(conv);
    EXPECT_EQ(c.tickets, 1);
    EXPECT_EQ(c.notices, 1);
    desk.Stop();
}

TEST_F(DeskPendingTickets, AComplaintTicketKeepsTheCoreReference) {
    const std::string conv = StoreTurnWithTickets(
        {{NewId("pt_"), "", "complaint",
          R"({"priority":"high","subject":"投诉 CMP-20261207-0042","complaint_ref":"CMP-20261207-0042","customer_ref":"C0002"})",
          NowMillis()}});
    DeskService desk(*db_, hub_, nullptr, config_, 60'000);
    ASSERT_TRUE(desk.Start(io_.get_executor()).ok());
    Counts c = WaitForTickets(conv, 1);
    EXPECT_EQ(c.tickets, 1);
    EXPECT_EQ(c.pending, 0);
    EXPECT_EQ(c.ticketed_chats, 0) << "a complaint is not a desk chat";
    auto tickets = ListAll(desk);
    ASSERT_TRUE(tickets.ok());
    ASSERT_EQ(tickets->size(), 1u);
    EXPECT_EQ(tickets->front().type, "complaint");
    EXPECT_EQ(tickets->front().priority, "high");
    EXPECT_EQ(tickets->front().complaint_ref, "CMP-20261207-0042");
    EXPECT_EQ(tickets->front().customer_ref, "C0002");
    desk.Stop();
}

}  // namespace
}  // namespace kefu::api
