// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QHash>
#include <QList>
#include <QString>
#include <QStringView>

#include <optional>

namespace podtap::cluster {

/// @brief One space-separated word of a pod filter.
struct PodFilterTerm
{
    enum class Kind {
        NameContains, ///< `web`: the pod name contains it (case-insensitive)
        LabelEquals, ///< `app=web` or `app==web`: the label is set to exactly that value
        LabelNotEquals, ///< `app!=web`: the label is missing or has another value
        LabelExists, ///< `app=`: the label is set, to any value
        NodeContains, ///< `node:worker-1`: the node name contains it (case-insensitive)
    };
    Kind kind = Kind::NameContains;
    QString key; ///< label key; empty for name and node terms
    QString value;
    /// For name and node terms: the value lower-cased when it is ASCII, so the common case is a
    /// case-sensitive search (Kubernetes names are lower-case); empty otherwise.
    QString asciiLower;

    bool operator==(const PodFilterTerm &) const = default;

    /// Whether @p text contains value, ignoring case (as QStringView::contains with Qt::CaseInsensitive).
    bool containedIn(QStringView text) const;
};

/// @brief The console's filter-as-you-type: words combined with AND, parsed once per keystroke.
///
/// `web app=frontend node:worker-2` keeps pods whose name contains "web", labelled app=frontend,
/// on a node whose name contains "worker-2". Half-typed words (`node:`, `=x`) are ignored rather
/// than hiding every pod, so the table does not flicker empty while a person types.
class PodFilter final
{
public:
    PodFilter() = default;
    static PodFilter parse(const QString &text);

    const QList<PodFilterTerm> &terms() const { return m_terms; }
    bool isEmpty() const { return m_terms.isEmpty(); }
    /// Whether any term looks at labels (callers can skip building a label lookup when not).
    bool needsLabels() const { return m_needsLabels; }

    /// @p labelValue(key) returns the label's value, or std::nullopt when the pod does not have it.
    template<typename LabelLookup>
    bool matches(QStringView name, QStringView node, LabelLookup &&labelValue) const
    {
        for (const PodFilterTerm &term : m_terms) {
            switch (term.kind) {
            case PodFilterTerm::Kind::NameContains:
                if (!term.containedIn(name))
                    return false;
                break;
            case PodFilterTerm::Kind::NodeContains:
                if (!term.containedIn(node))
                    return false;
                break;
            case PodFilterTerm::Kind::LabelEquals: {
                const std::optional<QString> value = labelValue(term.key);
                if (!value || *value != term.value)
                    return false;
                break;
            }
            case PodFilterTerm::Kind::LabelNotEquals: {
                const std::optional<QString> value = labelValue(term.key);
                if (value && *value == term.value)
                    return false;
                break;
            }
            case PodFilterTerm::Kind::LabelExists:
                if (!labelValue(term.key))
                    return false;
                break;
            }
        }
        return true;
    }

    /// Convenience for callers that hold labels in a hash.
    bool matches(QStringView name, QStringView node, const QHash<QString, QString> &labels) const;

    bool operator==(const PodFilter &) const = default;

private:
    QList<PodFilterTerm> m_terms;
    bool m_needsLabels = false;
};

} // namespace podtap::cluster
