package dev.magi.retrieval;

class InMemoryVectorStoreTest extends VectorStoreContract {

  @Override
  protected VectorStore newStore() {
    return new InMemoryVectorStore();
  }
}
