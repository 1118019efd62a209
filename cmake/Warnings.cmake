# Warnings are errors in the dev and asan-ubsan presets (and so in CI). The release preset, which the
# README's run command builds on whatever compiler the operator has, reports warnings without failing.
option(KEFU_WERROR "Treat warnings as errors" ON)
function(kefu_set_warnings target)
  if(KEFU_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic
    -Wshadow -Wnon-virtual-dtor -Wcast-align -Woverloaded-virtual
    -Wformat=2 -Wimplicit-fallthrough
    # GCC 12 misreports Asio's coroutine frames (custom operator new/delete) as mismatched.
    $<$<CXX_COMPILER_ID:GNU>:-Wno-mismatched-new-delete>)
endfunction()
