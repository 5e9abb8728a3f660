// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "pod_row.h"
#include "string_pool.h"

#include <QJsonObject>

namespace podtap::cluster {

/// @brief Turns API objects (pods, nodes, namespaces) into compact rows.
///
/// Input is untrusted: any field may be missing, of the wrong type or absurd, and the
/// network-status annotation is JSON inside a string. Nothing here throws or crashes on it; a
/// field that does not parse is left empty.
class RowParser final
{
public:
    explicit RowParser(StringPool *pool);

    PodRow pod(const QJsonObject &object) const;
    NodeRow node(const QJsonObject &object) const;
    NamespaceRow namespaceRow(const QJsonObject &object) const;

    /// Parses the `k8s.v1.cni.cncf.io/network-status` annotation; malformed entries are skipped.
    QList<PodInterface> networkStatus(const QString &annotation) const;

    /// RFC 3339 (`2024-05-01T12:00:00Z`, optional fraction and offset) to ms since the epoch; 0 if invalid.
    static qint64 parseTimestamp(QStringView text);

private:
    StringPool *m_pool;
};

} // namespace podtap::cluster
