#pragma once
// Names the calling thread so that `top -H`, `perf` and gdb show what each thread is for (kefu-io,
// kefu-writer, kefu-reader, kefu-bot, ...). Linux keeps at most 15 bytes; longer names are cut.

#include <pthread.h>

#include <string>
#include <string_view>

namespace kefu {

inline void SetThreadName(std::string_view name) {
    std::string n(name.substr(0, 15));
    pthread_setname_np(pthread_self(), n.c_str());
}

}  // namespace kefu
