// What this browser keeps for itself in IndexedDB:
// - "clips": the recorded clip and thumbnail of each swing made here, by swing id;
// - "outbox": swing payloads (and clips) not yet accepted by the server, so an upload survives a
//   closed tab or a lost connection.

const DB_NAME = "swingcoach";
const DB_VERSION = 1;
let opened = null;

function database() {
  opened ??= new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, DB_VERSION);
    request.onupgradeneeded = () => {
      request.result.createObjectStore("clips", { keyPath: "swingId" });
      request.result.createObjectStore("outbox", { keyPath: "key" });
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  return opened;
}

async function run(storeName, mode, action) {
  const db = await database();
  return new Promise((resolve, reject) => {
    const transaction = db.transaction(storeName, mode);
    const request = action(transaction.objectStore(storeName));
    transaction.oncomplete = () => resolve(request?.result);
    transaction.onerror = () => reject(transaction.error);
  });
}

export const put = (storeName, value) => run(storeName, "readwrite", (store) => store.put(value));
export const get = (storeName, key) => run(storeName, "readonly", (store) => store.get(key));
export const remove = (storeName, key) => run(storeName, "readwrite", (store) => store.delete(key));
export const all = (storeName) => run(storeName, "readonly", (store) => store.getAll());
export const clear = (storeName) => run(storeName, "readwrite", (store) => store.clear());
