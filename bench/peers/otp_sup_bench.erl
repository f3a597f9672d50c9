%% The Erlang/OTP peer of bench/supervision.ts: the same two measurements, of an OTP
%% one_for_one supervisor with gen_server workers.
%%
%%   erlc -o DIR otp_sup_bench.erl otp_sup_worker.erl
%%   erl -noshell -pa DIR -run otp_sup_bench main Samples Warmup FreshRounds FreshWarmup \
%%       FreshSamples Children StormMs WarmupMs Window
%%
%% (a) restart latency: crash one worker, time from just before it raises to the restarted
%%     worker handling its next message; Warmup samples dropped, then Samples kept, back to
%%     back under one supervisor. Then the same from FreshRounds fresh supervisors
%%     (FreshWarmup dropped, FreshSamples kept each): OTP filters its list of the restarts in
%%     the last period on every restart, so back to back a restart costs more as it grows.
%% (b) crash storm: Children workers, Window crashes in flight at any time, each restart
%%     answered by crashing another random worker not in flight, for StormMs (after WarmupMs
%%     of the same); restarts per second, and memory before and after (each after a quiet
%%     period, one more restart and a GC of every process).
%%
%% Logging is off (logger level none), as the troupe side runs with logLevel 'silent'.
%% Prints one JSON line on stdout and halts.
-module(otp_sup_bench).
-behaviour(supervisor).

-export([main/1, init/1]).

-define(T0, otp_sup_bench_t0).
-define(INTENSITY, 1000000).
-define(PERIOD, 1).

init({Mode, N, Driver}) ->
    Flags = #{strategy => one_for_one, intensity => ?INTENSITY, period => ?PERIOD},
    Specs = [
        #{
            id => I,
            start => {otp_sup_worker, start_link, [I, Mode, Driver]},
            restart => permanent,
            shutdown => 5000,
            type => worker
        }
     || I <- lists:seq(1, N)
    ],
    {ok, {Flags, Specs}}.

main(Args) ->
    try run([list_to_integer(A) || A <- Args]) of
        Json ->
            io:put_chars([Json, $\n]),
            halt(0)
    catch
        C:R:St ->
            io:format(standard_error, "otp_sup_bench failed: ~p:~p~n~p~n", [C, R, St]),
            halt(1)
    end.

run([Samples, Warmup, FreshRounds, FreshWarmup, FreshSamples, Children, StormMs, WarmupMs, Window]) ->
    ok = logger:set_primary_config(level, none),
    ?T0 = ets:new(?T0, [named_table, public, set]),
    process_flag(trap_exit, true),
    rand:seed(exsss, {1, 2, 3}),

    %% (a) restart latency, one worker.
    {ok, Sup} = supervisor:start_link(?MODULE, {latency, 1, self()}),
    [{_, Pid0, _, _}] = supervisor:which_children(Sup),
    {Pid1, _} = latency(Pid0, Warmup, []),
    {_, Lat} = latency(Pid1, Samples, []),
    stop(Sup),
    Sorted = lists:sort(Lat),
    P50 = pct(Sorted, 0.5) / 1.0e6,
    P99 = pct(Sorted, 0.99) / 1.0e6,
    Fresh = lists:append([fresh(FreshWarmup, FreshSamples) || _ <- lists:seq(1, FreshRounds)]),
    FSorted = lists:sort(Fresh),
    F50 = pct(FSorted, 0.5) / 1.0e6,
    F99 = pct(FSorted, 0.99) / 1.0e6,

    %% (b) crash storm, Children workers.
    {ok, Sup2} = supervisor:start_link(?MODULE, {storm, Children, self()}),
    Pids0 = maps:from_list([{Id, P} || {Id, P, _, _} <- supervisor:which_children(Sup2)]),
    {Pids1, _, _} = storm(Pids0, Children, Window, WarmupMs),
    Pids2 = settle(Pids1, Children),
    TotalBefore = erlang:memory(total),
    ProcsBefore = erlang:memory(processes),
    {Pids3, Count, Us} = storm(Pids2, Children, Window, StormMs),
    settle(Pids3, Children),
    TotalAfter = erlang:memory(total),
    ProcsAfter = erlang:memory(processes),
    stop(Sup2),
    Rate = Count / (Us / 1.0e6),

    io_lib:format(
        "{\"otp\":\"~s\",\"schedulers\":~b,"
        "\"restart\":{\"samples\":~b,\"p50Ms\":~.6f,\"p99Ms\":~.6f},"
        "\"restartFresh\":{\"samples\":~b,\"p50Ms\":~.6f,\"p99Ms\":~.6f},"
        "\"storm\":{\"children\":~b,\"window\":~b,\"restarts\":~b,\"seconds\":~.3f,"
        "\"perSec\":~.1f,\"memTotalBefore\":~b,\"memTotalAfter\":~b,"
        "\"memProcessesBefore\":~b,\"memProcessesAfter\":~b}}",
        [
            erlang:system_info(otp_release),
            erlang:system_info(schedulers_online),
            length(Lat),
            P50,
            P99,
            length(Fresh),
            F50,
            F99,
            Children,
            Window,
            Count,
            Us / 1.0e6,
            Rate,
            TotalBefore,
            TotalAfter,
            ProcsBefore,
            ProcsAfter
        ]
    ).

%% Samples from a fresh supervisor, its restart history empty.
fresh(Warmup, Samples) ->
    {ok, Sup} = supervisor:start_link(?MODULE, {latency, 1, self()}),
    [{_, Pid0, _, _}] = supervisor:which_children(Sup),
    {Pid1, _} = latency(Pid0, Warmup, []),
    {_, Lat} = latency(Pid1, Samples, []),
    stop(Sup),
    Lat.

latency(Pid, 0, Acc) ->
    {Pid, Acc};
latency(Pid, K, Acc) ->
    gen_server:cast(Pid, crash),
    receive
        {sample, Dt, New} -> latency(New, K - 1, [Dt | Acc])
    after 5000 -> error(no_restart)
    end.

%% Keep Window crashes in flight; each restart is answered by crashing another random worker
%% that is not in flight, until Ms have passed; then wait for those in flight.
storm(Pids, N, Window, Ms) ->
    T0 = erlang:monotonic_time(microsecond),
    Deadline = T0 + Ms * 1000,
    {Pids, InFlight} = launch(Pids, N, #{}, Window),
    storm_loop(Pids, N, InFlight, 0, T0, Deadline).

launch(Pids, _N, InFlight, 0) ->
    {Pids, InFlight};
launch(Pids, N, InFlight, K) ->
    launch(Pids, N, crash_one(Pids, N, InFlight), K - 1).

crash_one(Pids, N, InFlight) ->
    I = rand:uniform(N),
    case InFlight of
        #{I := _} ->
            crash_one(Pids, N, InFlight);
        _ ->
            gen_server:cast(maps:get(I, Pids), crash),
            InFlight#{I => true}
    end.

storm_loop(Pids, _N, InFlight, Count, T0, _Deadline) when map_size(InFlight) =:= 0 ->
    {Pids, Count, erlang:monotonic_time(microsecond) - T0};
storm_loop(Pids, N, InFlight, Count, T0, Deadline) ->
    receive
        {up, Id, Pid} ->
            Pids1 = Pids#{Id := Pid},
            In1 = maps:remove(Id, InFlight),
            In2 =
                case erlang:monotonic_time(microsecond) < Deadline of
                    true -> crash_one(Pids1, N, In1);
                    false -> In1
                end,
            storm_loop(Pids1, N, In2, Count + 1, T0, Deadline)
    after 5000 -> error({storm_stalled, map_size(InFlight)})
    end.

%% A quiet period, one more restart (so the supervisor's restart history holds one), a GC of
%% every process: then memory is measured.
settle(Pids, N) ->
    timer:sleep(?PERIOD * 1000 + 100),
    {Pids1, 1, _} = storm(Pids, N, 1, 0),
    gc_all(),
    Pids1.

pct(Sorted, P) ->
    N = length(Sorted),
    lists:nth(max(1, min(N, ceil(P * N))), Sorted).

gc_all() ->
    [erlang:garbage_collect(P) || P <- processes()],
    ok.

stop(Sup) ->
    unlink(Sup),
    Ref = monitor(process, Sup),
    exit(Sup, shutdown),
    receive
        {'DOWN', Ref, process, Sup, _} -> ok
    after 30000 -> error(supervisor_did_not_stop)
    end.
