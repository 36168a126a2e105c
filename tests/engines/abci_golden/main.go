// Generates golden.json: ABCI messages marshalled by CometBFT v0.38.26's own (gogoproto) types,
// which tests/engines/test_cometbft_proto.py decodes and re-encodes with faechain's codec.
// Regenerate: cd tests/engines/abci_golden && (echo "{"; GOFLAGS=-mod=mod go run . | sed '$ s/,$//'; echo "}") > golden.json

package main

import (
	"encoding/hex"
	"fmt"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	pc "github.com/cometbft/cometbft/proto/tendermint/crypto"
	"github.com/cosmos/gogoproto/proto"
)

func out(name string, m proto.Message) {
	b, err := proto.Marshal(m)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%q: %q,\n", name, hex.EncodeToString(b))
}

func main() {
	t := time.Date(2026, 11, 27, 1, 2, 3, 456789000, time.UTC)
	out("req_finalize_block", &abci.Request{Value: &abci.Request_FinalizeBlock{FinalizeBlock: &abci.RequestFinalizeBlock{
		Txs: [][]byte{[]byte("tx-one"), []byte("tx-two")}, Hash: []byte{1, 2, 3}, Height: 1234567, Time: t,
		NextValidatorsHash: []byte{9}, ProposerAddress: []byte{0xaa, 0xbb},
	}}})
	out("req_prepare_proposal", &abci.Request{Value: &abci.Request_PrepareProposal{PrepareProposal: &abci.RequestPrepareProposal{
		MaxTxBytes: 1048576, Txs: [][]byte{[]byte("a"), []byte("bb")}, Height: 7, Time: t, ProposerAddress: []byte{1},
	}}})
	out("req_process_proposal", &abci.Request{Value: &abci.Request_ProcessProposal{ProcessProposal: &abci.RequestProcessProposal{
		Txs: [][]byte{[]byte("a")}, Height: 8, Time: t, Hash: []byte{5},
	}}})
	out("req_check_tx_recheck", &abci.Request{Value: &abci.Request_CheckTx{CheckTx: &abci.RequestCheckTx{Tx: []byte("hello"), Type: abci.CheckTxType_Recheck}}})
	out("req_check_tx_new", &abci.Request{Value: &abci.Request_CheckTx{CheckTx: &abci.RequestCheckTx{Tx: []byte("hello")}}})
	out("req_flush", &abci.Request{Value: &abci.Request_Flush{Flush: &abci.RequestFlush{}}})
	out("req_commit", &abci.Request{Value: &abci.Request_Commit{Commit: &abci.RequestCommit{}}})
	out("req_info", &abci.Request{Value: &abci.Request_Info{Info: &abci.RequestInfo{Version: "0.38.26", BlockVersion: 11, P2PVersion: 8, AbciVersion: "2.0.0"}}})
	out("req_init_chain", &abci.Request{Value: &abci.Request_InitChain{InitChain: &abci.RequestInitChain{
		Time: t, ChainId: "fae-x", InitialHeight: 1, AppStateBytes: []byte(`{"a":1}`),
		Validators: []abci.ValidatorUpdate{
			{PubKey: pc.PublicKey{Sum: &pc.PublicKey_Ed25519{Ed25519: []byte{1, 2, 3, 4}}}, Power: 10},
			{PubKey: pc.PublicKey{Sum: &pc.PublicKey_Ed25519{Ed25519: []byte{5, 6}}}, Power: 3},
		},
	}}})
	out("req_query", &abci.Request{Value: &abci.Request_Query{Query: &abci.RequestQuery{Data: []byte("k"), Path: "/state", Height: 3}}})
	out("res_flush", &abci.Response{Value: &abci.Response_Flush{Flush: &abci.ResponseFlush{}}})
	out("res_commit", &abci.Response{Value: &abci.Response_Commit{Commit: &abci.ResponseCommit{}}})
	out("res_info", &abci.Response{Value: &abci.Response_Info{Info: &abci.ResponseInfo{Data: "faechain x", Version: "0.1.0", AppVersion: 1, LastBlockHeight: 300, LastBlockAppHash: []byte{0xde, 0xad}}}})
	out("res_check_tx", &abci.Response{Value: &abci.Response_CheckTx{CheckTx: &abci.ResponseCheckTx{Code: 4, Data: []byte{7}, Log: "bad sig", Info: "bad_signature", GasWanted: 1, Codespace: "faechain"}}})
	out("res_check_tx_ok", &abci.Response{Value: &abci.Response_CheckTx{CheckTx: &abci.ResponseCheckTx{Data: []byte{7}, GasWanted: 1}}})
	out("res_finalize_block", &abci.Response{Value: &abci.Response_FinalizeBlock{FinalizeBlock: &abci.ResponseFinalizeBlock{
		TxResults: []*abci.ExecTxResult{{Code: 0, Data: []byte{1}}, {Code: 21, Data: []byte{2}, Log: "no", Info: "unauthorized", Codespace: "faechain"}, {}},
		AppHash: []byte{0xab, 0xcd},
	}}})
	out("res_init_chain", &abci.Response{Value: &abci.Response_InitChain{InitChain: &abci.ResponseInitChain{AppHash: []byte{1, 2}}}})
	out("res_prepare_proposal", &abci.Response{Value: &abci.Response_PrepareProposal{PrepareProposal: &abci.ResponsePrepareProposal{Txs: [][]byte{[]byte("a"), {}}}}})
	out("res_process_proposal", &abci.Response{Value: &abci.Response_ProcessProposal{ProcessProposal: &abci.ResponseProcessProposal{Status: abci.ResponseProcessProposal_ACCEPT}}})
	out("res_exception", &abci.Response{Value: &abci.Response_Exception{Exception: &abci.ResponseException{Error: "boom"}}})
	out("res_echo", &abci.Response{Value: &abci.Response_Echo{Echo: &abci.ResponseEcho{Message: "hi"}}})
	out("res_query", &abci.Response{Value: &abci.Response_Query{Query: &abci.ResponseQuery{Key: []byte("k"), Value: []byte("v"), Height: 3, Log: "exists"}}})
	out("res_extend_vote", &abci.Response{Value: &abci.Response_ExtendVote{ExtendVote: &abci.ResponseExtendVote{}}})
	out("res_verify_vote_extension", &abci.Response{Value: &abci.Response_VerifyVoteExtension{VerifyVoteExtension: &abci.ResponseVerifyVoteExtension{Status: abci.ResponseVerifyVoteExtension_ACCEPT}}})
	out("res_list_snapshots", &abci.Response{Value: &abci.Response_ListSnapshots{ListSnapshots: &abci.ResponseListSnapshots{}}})
	out("res_offer_snapshot", &abci.Response{Value: &abci.Response_OfferSnapshot{OfferSnapshot: &abci.ResponseOfferSnapshot{Result: abci.ResponseOfferSnapshot_ABORT}}})
	out("res_negative_height_query", &abci.Response{Value: &abci.Response_Query{Query: &abci.ResponseQuery{Height: -2}}})
}
