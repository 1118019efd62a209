#pragma once
// Files compiled into the binary by cmake/EmbedFiles.cmake (web assets, SQL migrations).

#include <string_view>
#include <vector>

namespace kefu::embedded {

struct File {
    std::string_view path;  // relative to the embedded root, '/'-separated ("widget/kefu-widget.js")
    std::string_view data;
};

const std::vector<File>& WebFiles();        // web/static/
const std::vector<File>& MigrationFiles();  // src/storage/migrations/
const std::vector<File>& DocFiles();        // docs/openapi.yaml

}  // namespace kefu::embedded
