// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QHash>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace podtap::cluster {

/// @brief One requirement of a label selector: `key=value`, `key!=value`, `key in (a,b)`,
/// `key notin (a,b)`, `key` (exists) or `!key` (does not exist).
struct LabelRequirement
{
    enum class Op { Equals, NotEquals, In, NotIn, Exists, DoesNotExist };
    QString key;
    Op op = Op::Exists;
    QStringList values; ///< one for Equals/NotEquals, one or more for In/NotIn, none otherwise

    bool operator==(const LabelRequirement &) const = default;
};

/// @brief A Kubernetes label selector, parsed from the string grammar `kubectl -l` takes or from a
/// workload's `spec.selector`, and written back as the `labelSelector` query an API server takes.
///
/// The grammar and the key/value rules are those of k8s.io/apimachinery/pkg/labels: requirements
/// separated by commas; keys are an optional DNS-subdomain prefix and `/` plus a name of at most
/// 63 characters (alphanumerics, `-`, `_`, `.`, starting and ending alphanumeric); values are empty
/// or follow the name rule. Errors name the position, what was expected and how to write it.
class LabelSelector final
{
public:
    /// Parses @p text. An empty text is the empty selector (it matches everything: callers that
    /// must not select everything check isEmpty()). On failure returns nullopt and sets @p error.
    static std::optional<LabelSelector> parse(const QString &text, QString *error);
    /// Converts a metav1.LabelSelector (`matchLabels`, `matchExpressions`) as workloads carry it.
    static std::optional<LabelSelector> fromObject(const QJsonObject &selector, QString *error);

    const QList<LabelRequirement> &requirements() const { return m_requirements; }
    bool isEmpty() const { return m_requirements.isEmpty(); }
    /// Whether a pod with @p labels is selected.
    bool matches(const QHash<QString, QString> &labels) const;
    /// The canonical text (`app=cart,tier in (a,b),!canary`): parse(toString()) gives this selector back.
    QString toString() const;

    bool operator==(const LabelSelector &) const = default;

private:
    QList<LabelRequirement> m_requirements;
};

/// Empty when @p key is a valid label key, else why not.
QString labelKeyProblem(const QString &key);
/// Empty when @p value is a valid label value, else why not.
QString labelValueProblem(const QString &value);

} // namespace podtap::cluster
