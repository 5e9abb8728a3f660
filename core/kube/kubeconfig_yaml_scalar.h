// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QString>

namespace podtap::kube {

/// @brief What a plain (unquoted) YAML scalar means under the YAML 1.1 rules kubectl reads and
/// writes kubeconfigs with (`yes`, `on` and `y` are booleans there, `0x1F` is a number).
struct YamlPlainScalar
{
    enum class Type { Null, Bool, Int, Float, Timestamp, String };
    Type type = Type::String;
    bool boolean = false;
    QString canonical; ///< Int: decimal text; Float: the text as written

    static YamlPlainScalar resolve(const QString &plain);
};

} // namespace podtap::kube
