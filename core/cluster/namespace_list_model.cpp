// SPDX-License-Identifier: Apache-2.0
#include "namespace_list_model.h"

#include "pod_table_model.h"

#include <QJsonArray>

namespace podtap::cluster {

NamespaceListModel::NamespaceListModel(QObject *parent)
    : QAbstractListModel(parent)
{
}

int NamespaceListModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

QVariant NamespaceListModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) {
        return {};
    }
    const NamespaceRow &row = m_rows.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
    case NameRole:
        return row.name;
    case UidRole:
        return row.uid;
    case PhaseRole:
        return row.phase;
    case CreationTimeRole:
        return row.creationMs;
    case PodCountRole:
        return m_pods ? m_pods->podCount(row.name) : 0;
    case StaleRole:
        return m_stale;
    default:
        return {};
    }
}

QHash<int, QByteArray> NamespaceListModel::roleNames() const
{
    QHash<int, QByteArray> names = QAbstractListModel::roleNames();
    names.insert(NameRole, "name");
    names.insert(UidRole, "uid");
    names.insert(PhaseRole, "phase");
    names.insert(CreationTimeRole, "creationTime");
    names.insert(PodCountRole, "podCount");
    names.insert(StaleRole, "stale");
    return names;
}

void NamespaceListModel::setPodModel(PodTableModel *pods)
{
    if (m_pods) {
        m_pods->disconnect(this);
    }
    m_pods = pods;
    if (pods) {
        connect(pods, &PodTableModel::namespaceCountsChanged, this, [this] {
            if (!m_rows.isEmpty()) {
                Q_EMIT dataChanged(index(0), index(int(m_rows.size()) - 1), {PodCountRole});
            }
        });
    }
}

void NamespaceListModel::connectTo(kube::ListWatch *listWatch)
{
    connect(listWatch, &kube::ListWatch::relistStarted, this, &NamespaceListModel::beginRelist);
    connect(listWatch, &kube::ListWatch::pageReceived, this, &NamespaceListModel::addListPage);
    connect(listWatch, &kube::ListWatch::relistFinished, this, &NamespaceListModel::endRelist);
    connect(listWatch, &kube::ListWatch::eventReceived, this, &NamespaceListModel::applyEvent);
    connect(listWatch, &kube::ListWatch::staleChanged, this, &NamespaceListModel::setStale);
}

void NamespaceListModel::setStale(bool stale)
{
    if (m_stale != stale) {
        m_stale = stale;
        Q_EMIT staleChanged(stale);
    }
}

void NamespaceListModel::reindex()
{
    m_index.clear();
    for (int row = 0; row < m_rows.size(); ++row) {
        m_index.insert(m_rows[row].name, row);
    }
}

void NamespaceListModel::beginRelist()
{
    m_building.clear();
}

void NamespaceListModel::addListPage(const QJsonArray &items)
{
    for (const QJsonValue &value : items) {
        NamespaceRow row = m_parser.namespaceRow(value.toObject());
        if (!row.name.isEmpty()) {
            m_building.append(std::move(row));
        }
    }
}

void NamespaceListModel::endRelist()
{
    beginResetModel();
    m_rows = std::move(m_building);
    m_building.clear();
    std::sort(
        m_rows.begin(), m_rows.end(), [](const NamespaceRow &a, const NamespaceRow &b) { return a.name < b.name; });
    reindex();
    endResetModel();
}

void NamespaceListModel::applyEvent(kube::WatchEventType type, const QJsonObject &object)
{
    NamespaceRow row = m_parser.namespaceRow(object);
    if (row.name.isEmpty()) {
        return;
    }
    const int existing = rowOf(row.name);
    if (type == kube::WatchEventType::Deleted) {
        if (existing >= 0) {
            beginRemoveRows({}, existing, existing);
            m_rows.removeAt(existing);
            reindex();
            endRemoveRows();
        }
        return;
    }
    if (existing >= 0) {
        m_rows[existing] = std::move(row);
        Q_EMIT dataChanged(index(existing), index(existing));
        return;
    }
    // Keep names sorted: namespaces are few, an insertion is cheap.
    const auto at = std::lower_bound(m_rows.begin(), m_rows.end(), row.name,
        [](const NamespaceRow &a, const QString &name) { return a.name < name; });
    const int position = int(at - m_rows.begin());
    beginInsertRows({}, position, position);
    m_rows.insert(position, std::move(row));
    reindex();
    endInsertRows();
}

} // namespace podtap::cluster
