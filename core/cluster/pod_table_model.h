// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "kube/list_watch.h"
#include "pod_health.h"
#include "pod_table.h"
#include "row_parser.h"
#include "string_pool.h"

#include <QAbstractTableModel>
#include <QHash>
#include <QPointer>
#include <QTimer>

#include <functional>

namespace podtap::cluster {

/// @brief The pod table for views: list+watch fed, keyed by UID, updated in batches.
///
/// Watch events are queued and applied every batchInterval() ms: removals as ranged
/// beginRemoveRows, additions as one beginInsertRows, changes as ranged dataChanged (one signal
/// for the whole table when most rows changed). Only a relist resets the model. When the
/// connection drops the rows stay and isStale() turns true.
class PodTableModel final : public QAbstractTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(PodTableModel)
    Q_PROPERTY(bool stale READ isStale NOTIFY staleChanged)
    Q_PROPERTY(bool allNamespaces READ allNamespaces WRITE setAllNamespaces NOTIFY allNamespacesChanged)

public:
    enum Column {
        NamespaceColumn,
        NameColumn,
        ReadyColumn,
        StatusColumn,
        RestartsColumn,
        AgeColumn,
        IpColumn,
        NodeColumn,
        ColumnCount
    };

    /// Display text is Qt::DisplayRole; these carry the raw values (and SortRole the sort key of a column).
    /// Structured parts of a pod (containers, labels, interfaces) are not roles: read them typed,
    /// through podAt().
    enum Role {
        UidRole = Qt::UserRole + 1,
        NamespaceRole,
        NameRole,
        StatusRole, ///< kubectl STATUS text
        PhaseRole,
        HealthRole, ///< int(PodHealth)
        HealthIconRole, ///< icon theme name
        ReadyContainersRole,
        TotalContainersRole,
        RestartsRole, ///< int
        CreationTimeRole, ///< qint64 ms since the epoch
        IpRole,
        NodeRole,
        ContainerIdsRole, ///< QStringList
        SortRole, ///< the column's raw sort key: age → creation time, ready → ratio, restarts → count
        StaleRole, ///< bool, same for every row
    };
    Q_ENUM(Role)

    explicit PodTableModel(QObject *parent = nullptr);
    ~PodTableModel() override;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

    /// With all namespaces shown, column 0 is NAMESPACE (as `kubectl get pods -A`); otherwise the
    /// namespace column is hidden (columnCount() is one less and columns shift left).
    bool allNamespaces() const { return m_allNamespaces; }
    void setAllNamespaces(bool all);
    /// Maps a visible column to its Column.
    Column columnAt(int column) const;
    /// Whether row @p left sorts before row @p right on @p column: the same order as SortRole,
    /// read from the rows directly (a sort of 100k rows makes millions of these comparisons).
    bool lessThan(int left, int right, Column column) const;

    const PodTable &table() const { return m_table; }
    /// The pod behind @p index: an index of a PodTableModel or of any chain of proxies over one
    /// (QAbstractProxyModel); nullptr for anything else. Valid until the model next changes.
    static const PodRow *podAt(const QModelIndex &index);
    const PodRow *pod(const QString &uid) const { return m_table.find(uid); }
    int rowOf(const QString &uid) const { return m_table.rowOf(uid); }
    /// Pods per namespace (kept up to date as rows come and go).
    int podCount(const QString &namespaceName) const { return m_namespaceCounts.value(namespaceName); }

    bool isStale() const { return m_stale; }
    void setStale(bool stale);
    int batchInterval() const { return m_batchTimer.interval(); }
    void setBatchInterval(int ms) { m_batchTimer.setInterval(ms); }
    /// The clock AGE is computed against (tests pin it); default: now.
    void setClock(std::function<qint64()> nowMs) { m_now = std::move(nowMs); }

    /// Feeds the model from @p listWatch (a pods ListWatch); the model does not own it.
    void connectTo(kube::ListWatch *listWatch);

    // The feed, for callers that run their own list+watch (and tests).
    void beginRelist();
    void addListPage(const QJsonArray &items);
    void endRelist();
    void queueEvent(kube::WatchEventType type, const QJsonObject &object);
    void queueRow(kube::WatchEventType type, PodRow row);
    /// Applies every queued event now (the batch timer calls this).
    void applyPending();
    int pendingCount() const { return int(m_pendingOrder.size()); }

Q_SIGNALS:
    void staleChanged(bool stale);
    void allNamespacesChanged(bool all);
    /// Emitted after a batch or relist changed which namespaces have how many pods.
    void namespaceCountsChanged();
    /// A batch was applied: counts of rows inserted, removed and changed.
    void batchApplied(int inserted, int removed, int changed);

private:
    struct Pending
    {
        kube::WatchEventType type;
        PodRow row;
    };
    QVariant displayText(const PodRow &row, Column column) const;
    QVariant sortKey(const PodRow &row, Column column) const;
    void countIn(const PodRow &row);
    void countOut(const PodRow &row);

    StringPool m_pool;
    RowParser m_parser {&m_pool};
    PodTable m_table;
    PodTable m_building; ///< the relist in progress; the view keeps showing m_table meanwhile
    bool m_relisting = false;
    /// The first list into an empty table: its first page is shown at once, so the table is usable
    /// long before 100k pods have arrived.
    bool m_initialList = false;
    QHash<QString, int> m_namespaceCounts;
    QHash<QString, Pending> m_pending; ///< by uid: the last event wins
    std::vector<QString> m_pendingOrder;
    QTimer m_batchTimer;
    bool m_allNamespaces = true;
    bool m_stale = false;
    std::function<qint64()> m_now;
    QPointer<kube::ListWatch> m_listWatch;
};

} // namespace podtap::cluster
