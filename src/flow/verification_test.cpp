#include "flow/verification.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "storage/sqlite/database.hpp"

namespace kefu::flow {
namespace {

namespace fs = std::filesystem;

class CustomerGuardTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("kefu-guard-" + std::to_string(::getpid()));
        fs::remove_all(dir_);
        fs::create_directories(dir_);
        Open();
    }
    void TearDown() override {
        guard_.reset();
        db_.reset();
        fs::remove_all(dir_);
    }
    void Open() {
        guard_.reset();
        db_.reset();
        db_ = storage::sqlite::Database::Open({(dir_ / "kefu.db").string(), 1, 64});
        guard_ = MakeSqliteCustomerGuard(*db_);
    }

    fs::path dir_;
    std::unique_ptr<storage::sqlite::Database> db_;
    std::unique_ptr<CustomerGuard> guard_;
};

TEST_F(CustomerGuardTest, FiveFailuresLockTheCustomerAcrossConversationsAndRestarts) {
    const UnixMillis now = 1'000'000;
    const UnixMillis lock = 15 * 60 * 1000;
    for (int i = 0; i < 4; ++i) EXPECT_EQ(guard_->RecordFailure("c1011", now + i, 5, lock), 0) << i;
    EXPECT_EQ(guard_->LockedUntil("c1011"), 0);
    EXPECT_EQ(guard_->RecordFailure("c1011", now + 4, 5, lock), now + 4 + lock);
    Open();  // a restart (or another conversation) sees the lock
    EXPECT_EQ(guard_->LockedUntil("c1011"), now + 4 + lock);
    EXPECT_EQ(guard_->LockedUntil("c1001"), 0) << "other customers are not affected";
}

TEST_F(CustomerGuardTest, ASuccessClearsTheCount) {
    for (int i = 0; i < 4; ++i) guard_->RecordFailure("c1001", 10, 5, 1000);
    guard_->ClearFailures("c1001", 20);
    for (int i = 0; i < 4; ++i) EXPECT_EQ(guard_->RecordFailure("c1001", 30, 5, 1000), 0);
}

TEST_F(CustomerGuardTest, OptOutIsDurable) {
    EXPECT_FALSE(guard_->OptedOut("c1005"));
    guard_->SetOptOut("c1005", 1);
    Open();
    EXPECT_TRUE(guard_->OptedOut("c1005"));
    EXPECT_FALSE(guard_->OptedOut("c1001"));
}

TEST(SandboxSms, KeepsTheLastMessagePerPhone) {
    SandboxSms sms(false);
    sms.Send("+8613800138001", "code 111111");
    sms.Send("+8613800138001", "code 222222");
    sms.Send("+8613800138002", "code 333333");
    EXPECT_EQ(sms.Last("+8613800138001"), "code 222222");
    EXPECT_EQ(sms.Last("+8613800138002"), "code 333333");
    EXPECT_EQ(sms.Last("+8613800138003"), "");
}

}  // namespace
}  // namespace kefu::flow
