package dev.magi.gateway.responses;

import dev.magi.gateway.rag.ChatRetrieval;
import dev.magi.gateway.rag.VectorStoreRequests;
import dev.magi.gateway.rag.VectorStoresApi;
import dev.magi.proxy.api.ApiException;
import dev.magi.retrieval.Match;
import dev.magi.retrieval.RetrievalService;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Runs a Responses request's {@code file_search} tool in Magi, before the model is asked: searches its
 * vector stores with the user's last message (by meaning and by word, fused, unless the tool's
 * {@code ranking_options} say otherwise), keeps the best {@code max_num_results} over every store, and
 * gives them to the model as a system message of numbered passages, as a chat's retrieval does.
 */
public final class FileSearchRunner {

  private FileSearchRunner() {
  }

  /**
   * Searches, and puts what was found into {@code request}'s chat.
   *
   * @return what was found, for the response's {@code file_search_call} item and citations; a failed
   *     future with an {@link ApiException} (404 for an unknown store, 503 when the store is away)
   */
  public static Future<FileSearchResults> run(RetrievalService service, ResponsesRequests.Translated request) {
    ResponsesRequests.FileSearch tool = request.fileSearch();
    String query = request.lastUserText();
    if (query.isBlank()) {
      return Future.failedFuture(ApiException.invalid("input", "A file_search needs a user message to search with."));
    }
    RetrievalService.SearchRequest asked;
    try {
      asked = VectorStoreRequests.fileSearch(query, tool.maxResults(), tool.filters(), tool.rankingOptions());
    } catch (ApiException e) {
      return Future.failedFuture(e);
    }
    List<Future<List<Match>>> searches = new ArrayList<>();
    for (String store : tool.vectorStoreIds()) {
      searches.add(service.search(store, asked));
    }
    return Future.all(searches).recover(failure -> Future.failedFuture(VectorStoresApi.toApi(failure)))
        .compose(all -> {
          List<Match> found = new ArrayList<>();
          searches.forEach(search -> found.addAll(search.result()));
          found.sort(Comparator.comparingDouble(Match::score).reversed());
          List<Match> best = found.subList(0, Math.min(tool.maxResults(), found.size()));
          return service.filenames(best).map(names -> {
            ChatRetrieval.withContext(request.chat(), best);
            List<FileSearchResults.Passage> passages = best.stream().map(match -> new FileSearchResults.Passage(
                match.documentId(), names.getOrDefault(match.documentId(), match.documentId()), match.score(),
                match.text(), match.attributes())).toList();
            return new FileSearchResults(query, passages, tool.includeResults());
          });
        });
  }
}
