// SPDX-License-Identifier: Apache-2.0
#include "named_row_list_model.h"

namespace podtap::cluster {

NamedRowListModelBase::NamedRowListModelBase(QObject *parent)
    : QAbstractListModel(parent)
{
}

QHash<int, QByteArray> NamedRowListModelBase::roleNames() const
{
    QHash<int, QByteArray> names = QAbstractListModel::roleNames();
    names.insert(NameRole, "name");
    names.insert(UidRole, "uid");
    names.insert(CreationTimeRole, "creationTime");
    names.insert(StaleRole, "stale");
    return names;
}

void NamedRowListModelBase::connectTo(kube::ListWatch *listWatch)
{
    connect(listWatch, &kube::ListWatch::relistStarted, this, &NamedRowListModelBase::beginRelist);
    connect(listWatch, &kube::ListWatch::pageReceived, this, &NamedRowListModelBase::addListPage);
    connect(listWatch, &kube::ListWatch::relistFinished, this, &NamedRowListModelBase::endRelist);
    connect(listWatch, &kube::ListWatch::eventReceived, this, &NamedRowListModelBase::applyEvent);
    connect(listWatch, &kube::ListWatch::staleChanged, this, &NamedRowListModelBase::setStale);
}

void NamedRowListModelBase::setStale(bool stale)
{
    if (m_stale != stale) {
        m_stale = stale;
        Q_EMIT staleChanged(stale);
    }
}

} // namespace podtap::cluster
