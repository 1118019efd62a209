# kefu_embed_files(OUT_CPP <file> ROOT <dir> FILES <f>...): generates a C++ source that holds the files'
# bytes, so the binary serves its web assets and SQL migrations with nothing beside it on disk.
# The table is exposed as kefu::embedded::Files() (see src/core/embedded.hpp).
function(kefu_embed_files)
  cmake_parse_arguments(ARG "" "OUT_CPP;ROOT;NAMESPACE" "FILES" ${ARGN})
  add_custom_command(
    OUTPUT ${ARG_OUT_CPP}
    COMMAND ${CMAKE_COMMAND} -DOUT=${ARG_OUT_CPP} -DROOT=${ARG_ROOT} -DNS=${ARG_NAMESPACE}
            "-DFILES=${ARG_FILES}" -P ${CMAKE_SOURCE_DIR}/cmake/EmbedFilesScript.cmake
    DEPENDS ${ARG_FILES} ${CMAKE_SOURCE_DIR}/cmake/EmbedFilesScript.cmake
    COMMENT "Embedding ${ARG_NAMESPACE} files"
    VERBATIM)
endfunction()
