// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "kube/list_watch.h"
#include "pod_row.h"
#include "row_parser.h"

#include <QAbstractListModel>
#include <QHash>
#include <QPointer>

namespace podtap::cluster {

/// @brief Nodes (list+watch fed): name, InternalIP, kubectl STATUS and conditions, and pods per node.
class NodeListModel final : public QAbstractListModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(NodeListModel)
    Q_PROPERTY(bool stale READ isStale NOTIFY staleChanged)

public:
    enum Role {
        NameRole = Qt::UserRole + 1,
        UidRole,
        InternalIpRole,
        StatusRole, ///< Ready, NotReady, Unknown (+ ",SchedulingDisabled")
        ReadyRole, ///< bool: the Ready condition is True
        ConditionsRole, ///< QVariantList of QVariantMap {type, status, reason}
        RolesRole,
        VersionRole,
        CreationTimeRole, ///< qint64 ms since the epoch
        StaleRole,
    };
    Q_ENUM(Role)

    explicit NodeListModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

    void connectTo(kube::ListWatch *listWatch);
    int rowOf(const QString &name) const { return m_index.value(name, -1); }
    const NodeRow &at(int row) const { return m_rows.at(row); }
    bool isStale() const { return m_stale; }
    void setStale(bool stale);

    void beginRelist();
    void addListPage(const QJsonArray &items);
    void endRelist();
    void applyEvent(kube::WatchEventType type, const QJsonObject &object);

Q_SIGNALS:
    void staleChanged(bool stale);

private:
    void reindex();

    StringPool m_pool;
    RowParser m_parser {&m_pool};
    QList<NodeRow> m_rows;
    QList<NodeRow> m_building;
    QHash<QString, int> m_index; ///< name → row
    bool m_stale = false;
};

} // namespace podtap::cluster
