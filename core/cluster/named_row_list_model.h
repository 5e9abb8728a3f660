// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "kube/list_watch.h"
#include "row_parser.h"

#include <QAbstractListModel>
#include <QHash>
#include <QJsonArray>

#include <algorithm>

namespace podtap::cluster {

/// @brief The QObject half of NamedRowListModel: the stale flag and the list+watch wiring.
///
/// It exists because moc cannot process a class template; use NamedRowListModel.
class NamedRowListModelBase : public QAbstractListModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(NamedRowListModelBase)
    Q_PROPERTY(bool stale READ isStale NOTIFY staleChanged)

public:
    /// Roles every such list has; a subclass numbers its own from FirstRowRole.
    enum CommonRole {
        NameRole = Qt::UserRole + 1,
        UidRole,
        CreationTimeRole, ///< qint64 ms since the epoch
        StaleRole,
        FirstRowRole,
    };
    Q_ENUM(CommonRole)

    QHash<int, QByteArray> roleNames() const override;

    /// Follows @p listWatch: relists replace the rows, watch events edit them, staleness is mirrored.
    void connectTo(kube::ListWatch *listWatch);
    bool isStale() const { return m_stale; }
    void setStale(bool stale);

    virtual void beginRelist() = 0;
    virtual void addListPage(const QJsonArray &items) = 0;
    virtual void endRelist() = 0;
    virtual void applyEvent(kube::WatchEventType type, const QJsonObject &object) = 0;

Q_SIGNALS:
    void staleChanged(bool stale);

protected:
    explicit NamedRowListModelBase(QObject *parent);

private:
    bool m_stale = false;
};

/// @brief A list of API objects keyed and sorted by name (namespaces, nodes), fed by list+watch.
///
/// A relist resets the model once; a watch event inserts, changes or removes one row. @p Row needs
/// QString `name` and `uid` and qint64 `creationMs`; a subclass turns API objects into rows with
/// parseRow() and shows its own roles with rowData().
template<typename Row>
class NamedRowListModel : public NamedRowListModelBase
{
public:
    int rowCount(const QModelIndex &parent = {}) const override { return parent.isValid() ? 0 : int(m_rows.size()); }
    int rowOf(const QString &name) const { return m_index.value(name, -1); }
    const Row &at(int row) const { return m_rows.at(row); }

    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override
    {
        if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) {
            return {};
        }
        const Row &row = m_rows.at(index.row());
        switch (role) {
        case Qt::DisplayRole:
        case NameRole:
            return row.name;
        case UidRole:
            return row.uid;
        case CreationTimeRole:
            return row.creationMs;
        case StaleRole:
            return isStale();
        default:
            return rowData(row, role);
        }
    }

    void beginRelist() override { m_building.clear(); }

    void addListPage(const QJsonArray &items) override
    {
        for (const QJsonValue &value : items) {
            Row row = parseRow(value.toObject());
            if (!row.name.isEmpty()) {
                m_building.append(std::move(row));
            }
        }
    }

    void endRelist() override
    {
        beginResetModel();
        m_rows = std::move(m_building);
        m_building.clear();
        std::sort(m_rows.begin(), m_rows.end(), [](const Row &a, const Row &b) { return a.name < b.name; });
        reindex();
        endResetModel();
    }

    void applyEvent(kube::WatchEventType type, const QJsonObject &object) override
    {
        Row row = parseRow(object);
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
        // Keep names sorted: these lists are short, an insertion is cheap.
        const auto at = std::lower_bound(
            m_rows.begin(), m_rows.end(), row.name, [](const Row &a, const QString &name) { return a.name < name; });
        const int position = int(at - m_rows.begin());
        beginInsertRows({}, position, position);
        m_rows.insert(position, std::move(row));
        reindex();
        endInsertRows();
    }

protected:
    explicit NamedRowListModel(QObject *parent)
        : NamedRowListModelBase(parent)
    {
    }

    /// The row for one API object; a row without a name is ignored.
    virtual Row parseRow(const QJsonObject &object) const = 0;
    /// @p row's value for a role of the subclass's own (FirstRowRole and up).
    virtual QVariant rowData(const Row &row, int role) const = 0;

    StringPool m_pool;
    RowParser m_parser {&m_pool};

private:
    void reindex()
    {
        m_index.clear();
        for (int row = 0; row < m_rows.size(); ++row) {
            m_index.insert(m_rows[row].name, row);
        }
    }

    QList<Row> m_rows;
    QList<Row> m_building;
    QHash<QString, int> m_index; ///< name → row
};

} // namespace podtap::cluster
