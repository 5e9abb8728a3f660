// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QSet>
#include <QString>

namespace podtap::cluster {

/// @brief Interns strings that repeat across many rows (namespaces, nodes, statuses, label keys),
/// so 100k pods share one copy of each instead of 100k.
class StringPool final
{
public:
    /// Returns the pooled copy of @p text (sharing its data with every other row that uses it).
    QString intern(const QString &text);
    QString intern(QStringView text);
    qsizetype size() const { return m_strings.size(); }
    void clear() { m_strings.clear(); }

private:
    QSet<QString> m_strings;
};

} // namespace podtap::cluster
