// A least-recently-used map of shared values, bounded by the total weight of its values
// (a count when every weight is 1, bytes when weights are sizes). Not thread-safe: callers
// lock around it.
#pragma once

#include <cstddef>
#include <list>
#include <memory>
#include <unordered_map>
#include <utility>

namespace cairn {

template <typename Key, typename Value>
class LruCache {
 public:
  explicit LruCache(size_t capacity) : capacity_(capacity) {}

  // The value under `key`, now the most recently used; null when absent.
  std::shared_ptr<Value> Find(const Key& key) {
    auto it = entries_.find(key);
    if (it == entries_.end()) return nullptr;
    order_.splice(order_.begin(), order_, it->second);
    return it->second->value;
  }

  // Drops the value under `key`, if any.
  void Erase(const Key& key) {
    auto it = entries_.find(key);
    if (it == entries_.end()) return;
    weight_ -= it->second->weight;
    order_.erase(it->second);
    entries_.erase(it);
  }

  // Inserts `value` unless `key` is present (someone made it meanwhile), evicting the least
  // recently used beyond the capacity; returns what is cached under `key` now. A value
  // heavier than the whole capacity is returned without being kept.
  std::shared_ptr<Value> Insert(const Key& key, std::shared_ptr<Value> value, size_t weight = 1) {
    if (std::shared_ptr<Value> existing = Find(key)) return existing;
    if (weight > capacity_) return value;
    order_.push_front(Item{key, value, weight});
    entries_.emplace(key, order_.begin());
    weight_ += weight;
    while (weight_ > capacity_) {
      weight_ -= order_.back().weight;
      entries_.erase(order_.back().key);
      order_.pop_back();
    }
    return value;
  }

 private:
  struct Item {
    Key key;
    std::shared_ptr<Value> value;
    size_t weight;
  };

  const size_t capacity_;
  size_t weight_ = 0;
  std::list<Item> order_;  // most recent first
  std::unordered_map<Key, typename std::list<Item>::iterator> entries_;
};

}  // namespace cairn
