// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "kube/kubeconfig_document.h"

#include <QByteArray>
#include <QString>

namespace podtap::kube {

/// @brief What `config view` should show and how (the flags of `kubectl config view`).
struct KubeconfigViewOptions
{
    enum class Format { Yaml, Json };
    bool minify = false;
    bool flatten = false; ///< embed referenced files as *-data; implies raw
    bool raw = false; ///< keep tokens, passwords and *-data instead of kubectl's redactions
    QString context; ///< with minify: the context to keep instead of current-context
    Format format = Format::Yaml;
};

/// @brief The printed configuration, or why it could not be printed.
struct KubeconfigViewResult
{
    QByteArray output;
    QString error;
};

/// @brief Prints a merged kubeconfig as `kubectl config view` does: same structure, key order,
/// redactions (`DATA+OMITTED`, `REDACTED`), minify and flatten rules, and YAML scalar styles.
class KubeconfigPrinter final
{
public:
    static KubeconfigViewResult view(KubeconfigDocument document, const KubeconfigViewOptions &options);

    /// The JSON-shaped form of @p document in kubectl's v1 field order.
    static KubeconfigValue toValue(const KubeconfigDocument &document, bool redact);

    /// Go's json.MarshalIndent with four spaces (HTML characters escaped as Go does), plus a newline.
    static QByteArray toGoJson(const KubeconfigValue &value);
    /// go-yaml v2's block style: sorted keys, its quoting rules and its 80-column folding.
    static QByteArray toGoYaml(const KubeconfigValue &value);
};

} // namespace podtap::kube
