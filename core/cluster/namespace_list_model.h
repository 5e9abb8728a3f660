// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "kube/list_watch.h"
#include "pod_row.h"
#include "row_parser.h"

#include <QAbstractListModel>
#include <QHash>
#include <QPointer>

namespace podtap::cluster {

class PodTableModel;

/// @brief Namespaces (list+watch fed), with the number of pods each holds in a PodTableModel.
class NamespaceListModel final : public QAbstractListModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(NamespaceListModel)
    Q_PROPERTY(bool stale READ isStale NOTIFY staleChanged)

public:
    enum Role {
        NameRole = Qt::UserRole + 1,
        UidRole,
        PhaseRole,
        CreationTimeRole, ///< qint64 ms since the epoch
        PodCountRole, ///< int; 0 without a pod model
        StaleRole,
    };
    Q_ENUM(Role)

    explicit NamespaceListModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

    /// Pod counts come from @p pods (the model does not own it).
    void setPodModel(PodTableModel *pods);
    void connectTo(kube::ListWatch *listWatch);
    int rowOf(const QString &name) const { return m_index.value(name, -1); }
    const NamespaceRow &at(int row) const { return m_rows.at(row); }
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
    QList<NamespaceRow> m_rows;
    QList<NamespaceRow> m_building;
    QHash<QString, int> m_index; ///< name → row
    QPointer<PodTableModel> m_pods;
    bool m_stale = false;
};

} // namespace podtap::cluster
